"""The TinyAgent planner study: LoRA fine-tuning lifts plan success, with and without ToolRAG.

TinyAgent (arXiv 2409.00608) fine-tunes TinyLlama-1.1B with LoRA on 40K GPT-4 plans over 16 macOS
tools: success (the plan's DAG matches the gold one) goes from 12.71% to 78.89%, 80.06% with
ToolRAG. Here, on ``toolgym/TinyAgentPlanner-v0``:

1. a base model that knows LLMCompiler plans over other tools (:mod:`scenarios.tinyagent.corpus`),
   pre-trained from scratch and cached, or ``model=PATH``;
2. ToolRAG fitted on training requests (:mod:`envs.tinyagent.toolrag`), its recall and the
   prompt it saves reported;
3. the base evaluated on the 1,000 test tasks, with all 16 tools described and with ToolRAG's;
4. LoRA (QLoRA with ``lora.peft.load_in_4bit``, on a GPU) on the oracle's plan and joiner turns
   of the training tasks, half of their prompts ToolRAG's (TinyAgent trains on ToolRAG prompts);
5. the LoRA model evaluated the same way.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.model import check_width
from envs.checks import check_choice, check_int, check_number
from learners.sft_config import PeftOptions, SFTConfig
from scenarios.tinyagent.steps import DATA_FILES, describes


# The cpu profile trains in bf16 autocast: 1.2x faster steps on the 2-core AVX-512 BF16 CPU the
# study is measured on (bench/bf16_training.py); a CPU without bf16 instructions is faster with
# ``--set pretrain.precision=fp32 --set lora.precision=fp32``. 300 pre-training steps teach the
# base the plan grammar; 600 gave 0.005 / 0.026 more success after LoRA for 5.5 more minutes in
# all (31.2 against 25.7), and the study must fit in 30 (docs/tinyagent.md).
def _pretrain_cpu() -> SFTConfig:
    return SFTConfig(
        learning_rate=3e-3, batch_size=16, max_steps=300, warmup_steps=30, weight_decay=0.0, precision="bf16"
    )


def _lora_cpu() -> SFTConfig:
    peft = PeftOptions(r=32, alpha=64, target_modules=["all-linear"])
    return SFTConfig(
        learning_rate=4e-3, batch_size=16, max_steps=1000, warmup_steps=50, weight_decay=0.0, peft=peft,
        precision="bf16",
    )  # fmt: skip


@dataclass
class TinyAgentConfig:
    """A run of ``tinyagent_lora``; the defaults are the CPU profile's settings."""

    train_tasks: int = 4000
    """Training tasks (each one plan turn and one joiner turn) LoRA learns from."""
    test_tasks: int = 1000
    """Test tasks evaluated (the fixed test set's first ones; 1,000 is all of it)."""
    toolrag_share: float = 0.5
    """Share of the training prompts that describe ToolRAG's tools (the others: ``other_describe``)."""
    other_describe: str = "noisy"
    """How the other training prompts describe tools: ``"all"`` 16, or ``"noisy"``, the gold
    tools among a random number (0 to all) of the others, so that the list alone does not give
    the answer away (the env's ``describe`` option)."""
    join_share: float = 0.1
    """Share of the training and pre-training conversations whose joiner turn (after the
    observations) is trained too; the others end after the plan (TinyAgent's separate plan and
    join samples: success is the plan's)."""
    toolrag_queries: int = 4000
    """Training requests ToolRAG's classifier is fitted on."""
    toolrag_recall: float = 0.95
    """ToolRAG's threshold is the highest that recalls this share of the gold tools on held-out
    training requests (TinyAgent: a fixed 0.5, with a fine-tuned DeBERTa classifier)."""
    model: str | None = None
    """Path of a local causal LM with its chat template (TinyLlama) instead of the from-scratch base."""
    data: str | None = None
    """A folder with TinyAgent's ``training_data.json`` and ``testing_data.json``: LoRA learns
    from its first ``train_tasks`` queries' plan and join points and is tested on the test file's
    plans, with their own prompts (so no ToolRAG here, and DAG success only)."""
    pretrain_size: int = 10000
    """Pre-training conversations over the other tools."""
    vocab_size: int = 2048
    """BPE vocabulary of the from-scratch base."""
    width: int = 128
    """Width of the from-scratch base."""
    layers: int = 3
    """Its decoder layers."""
    heads: int = 4
    """Its attention heads."""
    pretrain: SFTConfig = field(default_factory=_pretrain_cpu)
    """Pre-training of the base (loss on the assistant's turns)."""
    lora: SFTConfig = field(default_factory=_lora_cpu)
    """The LoRA fine-tuning (its ``peft`` must be set)."""
    lora_embeddings: bool = True
    """Train every row of the (tied) embedding beside the adapters (PEFT's
    ``trainable_token_indices``): the from-scratch base learnt its rows on other tools' plans, and
    LoRA alone cannot move them (docs/tinyagent.md, probe d). Ignored when ``lora.peft`` names
    its own rows."""
    max_new_tokens: int = 448
    """Longest generated turn (the longest gold plan, 11 steps, is about 420 tokens)."""
    eval_batch_size: int = 125
    """Rows of one ``generate`` in evaluation. Every test episode plays at once, and each turn's
    conversations are sorted by length into batches of this size, so they pad little."""
    cache: str = "runs/cache"
    """Folder of pre-trained base models, reused across runs."""
    progress: bool = True
    """Show progress bars."""

    def __post_init__(self):
        from envs.tinyagent.tasks import TEST_SIZE

        for key in ("train_tasks", "toolrag_queries", "pretrain_size", "max_new_tokens", "eval_batch_size"):
            check_int(key, getattr(self, key), minimum=1)
        check_int("test_tasks", self.test_tasks, minimum=1, maximum=TEST_SIZE)
        check_number("toolrag_share", self.toolrag_share, minimum=0, maximum=1)
        check_number("join_share", self.join_share, minimum=0, maximum=1)
        check_choice("other_describe", self.other_describe, ("all", "noisy"))
        check_number("toolrag_recall", self.toolrag_recall, minimum=0, maximum=1)
        check_int("vocab_size", self.vocab_size, minimum=300)
        for key in ("width", "layers", "heads"):
            check_int(key, getattr(self, key), minimum=1)
        check_width("width", self.width, self.heads)
        if self.lora.peft is None:
            raise ValueError("lora.peft is not valid: None; the study fine-tunes LoRA adapters")
        if self.lora.peft.load_in_4bit and self.model is None:
            raise ValueError(
                "lora.peft.load_in_4bit (QLoRA) needs model=PATH: a from-scratch base is not quantised"
            )
        if self.model is not None and not Path(self.model).is_dir():
            raise ValueError(f"model={self.model!r} is not valid; no such folder")
        if self.data is not None:
            for name in DATA_FILES:
                if not (Path(self.data) / name).is_file():
                    raise ValueError(f"data={self.data!r} is not valid; it has no {name}")


def cpu_profile() -> TinyAgentConfig:
    """Settings for a 2-core CPU: the whole study in about 30 minutes, pre-training included."""
    return TinyAgentConfig()


def paper_profile() -> TinyAgentConfig:
    """TinyAgent's: TinyLlama-1.1B (a local copy), LoRA 3 epochs at lr 7e-5 on the training tasks,
    QLoRA (4-bit NF4) on a GPU; 40,000 training tasks."""
    peft = PeftOptions(
        r=16, alpha=32, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"], load_in_4bit=True
    )
    train_tasks, batch = 40_000, 16
    lora = SFTConfig(
        learning_rate=7e-5, batch_size=batch, max_steps=3 * train_tasks // batch, warmup_steps=100,
        weight_decay=0.0, peft=peft,
    )  # fmt: skip
    return TinyAgentConfig(
        model="models/TinyLlama-1.1B-32k-Instruct", train_tasks=train_tasks, lora=lora,
        lora_embeddings=False, eval_batch_size=64,
    )  # fmt: skip


def run_tinyagent(
    config: TinyAgentConfig, out: Path, device: str = "auto", resume: bool = False
) -> dict[str, Any]:
    """Run the study into ``out``; return the results written to ``results.json``."""
    from learners.common import resolve_device
    from scenarios.tinyagent.steps import base_model, evaluate_all, fine_tune, fit_toolrag, log_scalars
    from scenarios.tinyagent.summaries import draw, print_summary

    device = resolve_device(device)
    if config.lora.peft.load_in_4bit and device != "cuda":
        raise ValueError(f"lora.peft.load_in_4bit (QLoRA) needs a CUDA device; the device is {device!r}")
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    toolrag, toolrag_report = fit_toolrag(config, out)
    model, tokenizer, origin = base_model(config, device)
    results: dict[str, Any] = {"device": device, "base_model": origin, "toolrag": toolrag_report}
    results["before"] = evaluate_all(config, model, tokenizer, toolrag, out, "before", resume)
    trained, trainable = fine_tune(config, model, tokenizer, toolrag, out, device, resume)
    results["trainable_parameters"] = trainable
    results["after"] = evaluate_all(config, trained, tokenizer, toolrag, out, "after", resume)
    results["headline"] = {
        "metric": "success",
        "values": {
            f"{stage}/{d}": results[stage][d]["all"]["success"]
            for stage in ("before", "after")
            for d in describes(config)
        },
    }
    results["wall_seconds"] = round(time.monotonic() - started, 1)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    log_scalars(out / "tb", results)
    figure = draw(results, out / "figures" / "success.png")
    print_summary(results, out, figure)
    return results
