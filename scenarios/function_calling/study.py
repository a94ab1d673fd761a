"""The function-calling study (TokMem's compositional memory recall): tool tokens learned in rounds.

Tools arrive in rounds over disjoint frequency ranks (1-50, then 51-100). Each method learns a
round's tools from single-tool queries (and compositions of them), and after every round it is
tested on the compositions of 2-3 tools of every round seen so far, so forgetting of round 1
after round 2 is measured:

- ``tool_tokens``: one reserved token per tool, its embedding row trained, the base frozen (LoRA
  in round 1 only, TokMem's default), :mod:`learners.tool_tokens`;
- ``lora``: LoRA fine-tuning on the ``[tool_k]{json}`` text format, the adapter trained on;
- ``lora_replay``: the same with a replay buffer of earlier rounds (:mod:`learners.replay`);
- ``icl``: the base model, untrained, given the top-k tool descriptions retrieved by
  all-MiniLM-L6-v2 (the retriever's recall is reported).

The base model knows the JSON call format but none of the study's tools: it is pre-trained from
scratch (cached) on conversations over other synthetic tools (frequency ranks after the rounds'),
with their descriptions in the prompt, or read from ``model=PATH`` (a Llama-3 tokenizer's
reserved tokens are then the tool tokens).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.model import check_width
from envs.checks import check_choice, check_int, check_ints, check_number
from learners.sft_config import PeftOptions, SFTConfig
from learners.tool_tokens import ToolTokenConfig, round_steps

METHODS = ("tool_tokens", "lora", "lora_replay", "icl")


def _lora_peft() -> PeftOptions:
    return PeftOptions(r=8, alpha=32, dropout=0.1, target_modules=["q_proj", "v_proj"])


@dataclass
class LoraBaselineConfig:
    """TokMem's LoRA baseline (``lora_sequential.py``): LoRA on the ``[tool_k]{json}`` text."""

    peft: PeftOptions = field(default_factory=_lora_peft)
    """The adapters (TokMem: r=8, alpha 32, dropout 0.1 on q_proj and v_proj)."""
    learning_rate: float = 5e-5
    """Peak learning rate."""
    epochs: list[int] = field(default_factory=lambda: [1, 3])
    """Epochs of each round (the last value repeats)."""
    batch_size: int = 2
    """Conversations per step."""
    warmup_ratio: float = 0.1
    """Share of a round's steps spent warming up."""
    replay_size: int = 1000
    """Examples the replay buffer of ``lora_replay`` keeps."""
    replay_ratio: float = 0.2
    """Share of a later round's training data that is replayed (``lora_replay``)."""
    reinit: bool = False
    """Merge the adapter into the weights after each round and start a fresh one (default: the
    same adapter goes on training)."""

    def __post_init__(self):
        if isinstance(self.peft, dict):
            self.peft = PeftOptions(**self.peft)
        check_number("lora.learning_rate", self.learning_rate, minimum=0)
        check_ints("lora.epochs", self.epochs, minimum=1)  # refuses [] too
        check_int("lora.batch_size", self.batch_size, minimum=1)
        check_number("lora.warmup_ratio", self.warmup_ratio, minimum=0, maximum=1)
        check_int("lora.replay_size", self.replay_size, minimum=1)
        check_number("lora.replay_ratio", self.replay_ratio, minimum=0, maximum=0.95)
        check_choice("lora.reinit", self.reinit, (True, False))

    def round_sft(self, round_number: int, conversations: int) -> SFTConfig:
        """The SFT learner's options for round ``round_number`` (1-based)."""
        steps = round_steps(self.epochs, round_number, conversations, self.batch_size)
        return SFTConfig(
            learning_rate=self.learning_rate,
            weight_decay=0.01,
            batch_size=self.batch_size,
            max_steps=steps,
            warmup_steps=int(self.warmup_ratio * steps),
            save_steps=max(steps // 2, 1),
            peft=self.peft,
        )


def _pretrain_cpu() -> SFTConfig:
    # The loss on the answers only: with the prompts' bytes in the loss too, 1,000 steps left a
    # base that wrote malformed JSON for its own training tools.
    return SFTConfig(
        learning_rate=3e-3,
        batch_size=16,
        max_steps=3000,
        warmup_steps=150,
        weight_decay=0.0,
        save_steps=250,
    )


@dataclass
class FunctionCallingConfig:
    """A run of ``function_calling_rounds``; the defaults are the CPU profile's settings."""

    methods: list[str] = field(default_factory=lambda: list(METHODS))
    """Methods compared, each trained through every round in turn: any of ``tool_tokens``,
    ``lora``, ``lora_replay``, ``icl``."""
    rounds: int = 2
    """Rounds of new tools."""
    tools_per_round: int = 50
    """Tools each round adds (round k: frequency ranks (k-1) n + 1 .. k n)."""
    samples_per_tool: int = 50
    """Source queries kept per tool (TokMem's ``--max_samples_per_tool``)."""
    train_size: int = 5000
    """Training examples of a round (its single-tool queries plus compositions)."""
    test_size: int = 500
    """Test compositions of a round (2-3 tools each)."""
    max_calls: int = 4
    """Most calls in one example."""
    n_apis: int = 320
    """Synthetic APIs generated (the rounds' tools, the pre-training tools and the rest)."""
    data_seed: int = 0
    """Seed of the data generator."""
    data_dir: str | None = None
    """A folder written by ``python -m envs.function_calling.generate`` to use instead of
    generating the data into the run's folder."""
    pretrain_tools: int = 200
    """Tools of the pre-training corpus (the frequency ranks right after the rounds')."""
    pretrain_size: int = 20000
    """Pre-training conversations."""
    pretrain_values: str = "pool"
    """Values of the pre-training conversations: ``pool``, the few values per parameter the
    rounds' training rows use (a base can recall them instead of copying), or ``open``, fresh
    ones of each parameter's shape, which only copying predicts (tried: the cpu profile's base
    did not learn to copy them either, docs/function_calling.md)."""
    pretrain_samples_per_tool: int | None = None
    """Source queries per pre-training tool (None: ``samples_per_tool``)."""
    pretrain_formats: list[str] = field(default_factory=lambda: ["json"])
    """Call formats of the pre-training conversations without descriptions, taken in turn:
    ``json``; adding ``tokens`` / ``text`` teaches the base to read tool tokens / aliases on the
    pre-training tools (their own reserved tokens, after the study's)."""
    described_every: int = 4
    """Every n-th pre-training conversation has its tools described in the prompt (the gold ones
    and distractors, ``icl_k`` in all); the others are the query alone."""
    model: str | None = None
    """Path of a local Llama-3 style causal LM to start from instead of pre-training one."""
    width: int = 64
    """Width of the from-scratch base model."""
    layers: int = 3
    """Its decoder layers."""
    heads: int = 4
    """Its attention heads."""
    pretrain: SFTConfig = field(default_factory=_pretrain_cpu)
    """Causal-LM pre-training of the base model."""
    tool_tokens: ToolTokenConfig = field(default_factory=ToolTokenConfig)
    """The tool-token learner."""
    lora: LoraBaselineConfig = field(default_factory=LoraBaselineConfig)
    """The LoRA baselines."""
    icl_k: int = 5
    """Tool descriptions retrieved into the in-context baseline's prompt (TokMem: top 5); also the
    descriptions (gold plus distractors) of each pre-training prompt."""
    max_new_tokens: int = 256
    """Longest generated answer (TokMem: 256)."""
    eval_batch_size: int = 256
    """Episodes generated together in evaluation."""
    cache: str = "runs/cache"
    """Folder of pre-trained base models, reused across runs."""
    progress: bool = True
    """Show progress bars."""

    def __post_init__(self):
        if not self.methods or any(m not in METHODS for m in self.methods):
            raise ValueError(f"methods={self.methods!r} is not valid; choose from {list(METHODS)}")
        for key in ("rounds", "tools_per_round", "samples_per_tool", "train_size", "test_size"):
            check_int(key, getattr(self, key), minimum=1)
        check_int("max_calls", self.max_calls, minimum=2)
        check_int("pretrain_tools", self.pretrain_tools, minimum=1)
        check_int("pretrain_size", self.pretrain_size, minimum=1)
        check_choice("pretrain_values", self.pretrain_values, ("open", "pool"))
        if self.pretrain_samples_per_tool is not None:
            check_int("pretrain_samples_per_tool", self.pretrain_samples_per_tool, minimum=1)
        check_int("described_every", self.described_every, minimum=1)
        if not self.pretrain_formats or any(
            f not in ("json", "tokens", "text") for f in self.pretrain_formats
        ):
            raise ValueError(
                f"pretrain_formats={self.pretrain_formats!r} is not valid; "
                "choose from ['json', 'tokens', 'text']"
            )
        needed = self.rounds * self.tools_per_round + self.pretrain_tools + 1  # `search` is excluded
        check_int("n_apis", self.n_apis, minimum=needed)
        check_int("data_seed", self.data_seed, minimum=0)
        if self.data_dir and not (Path(self.data_dir) / "manifest.json").is_file():
            raise ValueError(
                f"data_dir={self.data_dir!r} is not valid; it has no manifest.json "
                "(write one with python -m envs.function_calling.generate --out DIR)"
            )
        for key in ("width", "layers", "heads", "icl_k", "max_new_tokens", "eval_batch_size"):
            check_int(key, getattr(self, key), minimum=1)
        check_width("width", self.width, self.heads)
        from agents.tokenizers.function_calling import MAX_TOOL_TOKENS

        if "tokens" in self.pretrain_formats and needed - 1 > MAX_TOOL_TOKENS:
            raise ValueError(
                f"pretrain_formats with 'tokens' needs a token for every round and pre-training tool "
                f"({needed - 1}); there are {MAX_TOOL_TOKENS}: lower pretrain_tools"
            )
        if self.rounds * self.tools_per_round > MAX_TOOL_TOKENS:
            raise ValueError(
                f"rounds x tools_per_round = {self.rounds * self.tools_per_round} tools is not valid; "
                f"there are {MAX_TOOL_TOKENS} tool tokens"
            )

    def round_ranges(self) -> list[tuple[int, int]]:
        """The 1-indexed inclusive frequency ranks of each round's tools."""
        n = self.tools_per_round
        return [(k * n + 1, (k + 1) * n) for k in range(self.rounds)]

    def pretrain_range(self) -> tuple[int, int]:
        first = self.rounds * self.tools_per_round + 1
        return first, first + self.pretrain_tools - 1


def cpu_profile() -> FunctionCallingConfig:
    """Settings for a 2-core CPU: the whole comparison in under 30 minutes, pre-training included
    (docs/function_calling.md). Rounds train 8 epochs: at 2, the tool rows had not learned to
    tell 50 tools apart (tool F1 0.02 on round 1's own compositions)."""
    lora = dataclasses.replace(_lora_peft(), dropout=0.0)
    return FunctionCallingConfig(
        samples_per_tool=30,
        train_size=1500,
        test_size=200,
        pretrain_size=8000,
        tool_tokens=ToolTokenConfig(
            learning_rate=3e-2, lora=lora, lora_learning_rate=3e-3, epochs=[8], batch_size=8
        ),
        lora=LoraBaselineConfig(peft=lora, learning_rate=3e-3, epochs=[8], batch_size=8),
    )


def paper_profile() -> FunctionCallingConfig:
    """TokMem's settings (``run_n_rounds_main.sh``): Llama-3.2-3B read from ``model=PATH``, 50
    samples per tool, 5,000 train / 500 test per round, epochs 1 then 3, batch 2, lr 5e-3 on
    the embeddings and 5e-5 on LoRA (r=8, alpha 32, dropout 0.1, q/v)."""
    return FunctionCallingConfig(model="models/Llama-3.2-3B-Instruct", eval_batch_size=32)


def run_function_calling(
    config: FunctionCallingConfig, out: Path, device: str = "auto", resume: bool = False
) -> dict[str, Any]:
    """Run the study into ``out``; return the results written to ``results.json``.

    Each method's rounds are folders ``<method>/round<k>/`` holding the trained model and its
    evaluation (``eval.json``); a resumed run reads back what a killed one finished.
    """
    from learners.common import resolve_device
    from scenarios.function_calling.methods import base_model, run_method
    from scenarios.function_calling.summaries import draw, forgetting, headline, print_summary

    device = resolve_device(device)
    started = time.monotonic()
    data_dir = prepare_data(config, out)
    _, tokenizer, origin = base_model(config, data_dir, device)  # each method loads its own copy
    results: dict[str, Any] = {"device": device, "base_model": origin, "data": str(data_dir), "methods": {}}
    for method in config.methods:
        print(f"[{method}] {config.rounds} rounds", flush=True)
        results["methods"][method] = run_method(
            method, config, data_dir, origin, tokenizer, out, device, resume
        )
    results["forgetting"] = forgetting(results["methods"])
    results["headline"] = headline(results["methods"], config.rounds)
    results["wall_seconds"] = round(time.monotonic() - started, 1)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    figure = draw(results["methods"], config.rounds, out / "figures" / "rounds.png")
    print_summary(results, out, figure)
    return results


def prepare_data(config: FunctionCallingConfig, out: Path) -> Path:
    """The data folder: ``config.data_dir``, or TokMem's files generated into ``out/data`` once."""
    from envs.function_calling.data import generate, load_manifest

    if config.data_dir:
        load_manifest(config.data_dir)  # names the path when it is not a data folder
        return Path(config.data_dir)
    data_dir = out / "data"
    if not (data_dir / "manifest.json").exists():
        started = time.monotonic()
        generate(
            data_dir,
            n_apis=config.n_apis,
            samples_per_tool=config.samples_per_tool,
            rounds=tuple(config.round_ranges()),
            pretrain=config.pretrain_range(),
            train_size=config.train_size,
            test_size=config.test_size,
            pretrain_train_size=config.pretrain_size,
            pretrain_values=config.pretrain_values,
            pretrain_samples_per_tool=config.pretrain_samples_per_tool,
            max_calls=config.max_calls,
            seed=config.data_seed,
        )
        print(f"[data] {data_dir} in {time.monotonic() - started:.1f} s", flush=True)
    return data_dir
