"""The function-calling study's steps: the base model, each method's rounds, their evaluation.

``config`` is a :class:`scenarios.function_calling.study.FunctionCallingConfig` throughout.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

ENV_ID = "toolgym/FunctionCalling-v0"
# What each method's model reads and writes (envs.function_calling.formats).
CALL_FORMAT = {"tool_tokens": "tokens", "lora": "text", "lora_replay": "text", "icl": "json"}
# Bump when the pre-training corpus changes: cached base models are keyed by it.
CORPUS_VERSION = 1
# Tied embeddings as Llama-3.2-1B/3B's (a tool token's row is its input and its output); 2,048
# positions hold five described tools and a three-tool query in bytes.
MODEL_OPTIONS = {"tie_embeddings": True, "max_length": 2048}


def make_env(data_dir: Path, tools: str, split: str, call_format: str, **options):
    """A function that makes the study's env over the ranks ``tools`` (``"1-50,51-100"``)."""
    import gymnasium as gym

    import envs  # noqa: F401  (registers the ids)

    kwargs = dict(data_dir=str(data_dir), tools=tools, split=split, call_format=call_format, **options)
    return lambda: gym.make(ENV_ID, **kwargs)


def ranks(ranges) -> str:
    return ",".join(f"{a}-{b}" for a, b in ranges)


def conversations(data_dir: Path, tools: str, split: str, call_format: str, **options) -> list:
    """The oracle's conversation of every task of the env (training data): the first observation
    and the demonstration's one turn. Built without ``agents.rollout``, whose records carry every
    offered tool's schema: 12,000 pre-training conversations took 160 s through it, 3 s here."""
    from envs.trajectory import Trajectory

    env = make_env(data_dir, tools, split, call_format, **options)()
    episodes = []
    for task_id in range(env.unwrapped.num_tasks):
        prompt, _ = env.reset(options={"task_id": task_id})
        messages = [{"role": "user", "content": prompt}]
        messages += [{"role": "assistant", "content": turn} for turn in env.unwrapped.demonstration()]
        episodes.append(
            Trajectory(
                env_id=ENV_ID,
                messages=messages,
                reward=1.0,
                terminated=True,
                truncated=False,
                task_id=task_id,
            )
        )
    env.close()
    return episodes


def tool_order(data_dir: Path, config) -> list[str]:
    """Every tool of the rounds in the env's order: tool ``i`` is the ``i``-th reserved token."""
    env = make_env(data_dir, ranks(config.round_ranges()), "test", "tokens")()
    order = list(env.unwrapped.tool_order)[: config.rounds * config.tools_per_round]  # not pretrain's
    env.close()
    return order


def base_model(config, data_dir: Path, device: str):
    """The base model, its tokenizer and where it is: ``config.model`` read from disk (TokMem's
    Llama-3 prompt), or the from-scratch model pre-trained once on the pre-training tools."""
    from agents.model import load_model
    from agents.tokenizers.function_calling import build_function_calling_tokenizer, use_tokmem_template
    from envs.function_calling.data import load_manifest
    from learners.pretrain import pretrained_model

    if config.model:
        model, tokenizer = load_model(config.model)
        return model.to(device), use_tokmem_template(tokenizer), config.model
    first, last = config.pretrain_range()
    settings = {
        "corpus_version": CORPUS_VERSION,
        "manifest": load_manifest(data_dir),
        "pretrain_size": config.pretrain_size,
        "icl_k": config.icl_k,
        "described_every": config.described_every,
        "model_options": MODEL_OPTIONS,
        **{key: dataclasses.asdict(config)[key] for key in ("width", "layers", "heads", "pretrain")},
    }
    if config.pretrain_formats != ["json"]:  # added later: the default keeps its cache key
        settings["pretrain_formats"] = config.pretrain_formats

    def corpus():
        # Every ``1 / described_every``-th conversation has its tools described (what the
        # in-context baseline reads), the others not (cheaper in bytes, and closer to what the
        # tool-token and LoRA models see: a query and the calls).
        # The others take ``pretrain_formats`` in turn.
        tools = f"{first}-{last}"
        described = conversations(data_dir, tools, "train", "json", describe="gold", describe_k=config.icl_k)
        plain = [conversations(data_dir, tools, "train", f) for f in config.pretrain_formats]
        every, corpus = config.described_every, []
        for i, conversation in enumerate(described):
            corpus.append(conversation if i % every == 0 else plain[i % len(plain)][i])
        return corpus

    model, tokenizer, path = pretrained_model(
        "function_calling", settings, corpus, build_function_calling_tokenizer,
        layers=config.layers, heads=config.heads, width=config.width, sft=config.pretrain,
        cache=config.cache, device=device, progress=config.progress, model_options=MODEL_OPTIONS,
    )  # fmt: skip
    return model.to(device), tokenizer, str(path)


def run_method(
    method: str,
    config,
    data_dir: Path,
    origin: str,
    tokenizer,
    out: Path,
    device: str,
    resume: bool,
) -> dict[str, Any]:
    """Train ``method`` through every round; after each, evaluate on every round seen so far.

    Returns ``{"rounds": [{"round", "trainable_parameters", "train_seconds", "eval": {...}}]}``.
    """
    from agents.model import load_model

    model, _ = load_model(origin)
    model = model.to(device)
    ranges = config.round_ranges()
    step = _ROUND_STEPS[method]
    state: dict[str, Any] = {"model": model}
    if method in ("lora_replay",):
        from learners.replay import ReplayBuffer

        state["replay"] = ReplayBuffer(config.lora.replay_size, config.lora.replay_ratio, seed=0)
    if method == "tool_tokens":
        from agents.tokenizers.function_calling import tool_token_ids

        order = tool_order(data_dir, config)
        state["ids"] = dict(zip(order, tool_token_ids(tokenizer, len(order)), strict=True))
    rounds = []
    for number, (first, last) in enumerate(ranges, 1):
        folder = out / method / f"round{number}"
        record_path = folder / "round.json"
        if resume and record_path.exists():
            record = json.loads(record_path.read_text())
            step(config, data_dir, tokenizer, state, number, first, last, folder, device, resume, load=True)
        else:
            import time

            started = time.monotonic()
            trainable = step(config, data_dir, tokenizer, state, number, first, last, folder, device, resume)
            record = {
                "round": number,
                "tools": f"{first}-{last}",
                "trainable_parameters": trainable,
                "train_seconds": round(time.monotonic() - started, 1),
            }
            record["eval"] = evaluate(method, config, data_dir, state["model"], tokenizer, number, out)
            folder.mkdir(parents=True, exist_ok=True)
            record_path.write_text(json.dumps(record, indent=2))
            _log_scalars(out / "tb" / method, record)
        _report(method, record)
        rounds.append(record)
    return {"rounds": rounds}


def _tool_tokens_round(
    config, data_dir, tokenizer, state, number, first, last, folder, device, resume, load=False
):
    from agents.model import load_model
    from learners.tool_tokens import train_tool_tokens

    if load:
        state["model"], _ = load_model(folder / "merged")
        state["model"] = state["model"].to(device)
        return None
    ids = state["ids"]
    data = conversations(data_dir, f"{first}-{last}", "train", "tokens")
    round_ids = [ids[name] for name in _round_tools(data_dir, first, last)]
    earlier = [i for i in ids.values() if i < min(round_ids)]
    state["model"], trainable = train_tool_tokens(
        state["model"], tokenizer, data, number, round_ids, list(ids.values()), config.tool_tokens, folder,
        earlier_ids=earlier, resume=resume, device=device, progress=config.progress,
    )  # fmt: skip
    return trainable


def _lora_round(config, data_dir, tokenizer, state, number, first, last, folder, device, resume, load=False):
    from peft import PeftModel

    from learners.common import quiet_library_warnings
    from learners.sft import merge_adapters, train_sft

    replay = state.get("replay")
    # Read to train, and on resume too when replaying: the buffer's RNG must stay in step.
    data = conversations(data_dir, f"{first}-{last}", "train", "text") if replay or not load else []
    mixed = replay.mix(data) if replay else data
    if replay:
        replay.add(data)
    model = state["model"]
    with quiet_library_warnings():
        if isinstance(model, PeftModel) and config.lora.reinit:
            model = merge_adapters(model)
        if load:
            if isinstance(model, PeftModel):  # the same adapter, trained on: its weights replaced
                from peft import set_peft_model_state_dict
                from safetensors.torch import load_file

                set_peft_model_state_dict(model, load_file(folder / "final" / "adapter_model.safetensors"))
                state["model"] = model
            else:
                state["model"] = PeftModel.from_pretrained(model, folder / "final", is_trainable=True).to(
                    device
                )
            return None
    trained = train_sft(
        model, tokenizer, mixed, config.lora.round_sft(number, len(mixed)), folder,
        resume=resume, device=device, progress=config.progress,
    )  # fmt: skip
    state["model"] = trained
    return sum(p.numel() for p in trained.parameters() if p.requires_grad)


def _icl_round(config, data_dir, tokenizer, state, number, first, last, folder, device, resume, load=False):
    return 0  # nothing is trained: the base model reads the retrieved descriptions


_ROUND_STEPS = {
    "tool_tokens": _tool_tokens_round,
    "lora": _lora_round,
    "lora_replay": _lora_round,
    "icl": _icl_round,
}


def _round_tools(data_dir: Path, first: int, last: int) -> list[str]:
    from envs.function_calling.data import load_descriptions

    return sorted(load_descriptions(data_dir, first, last))


def evaluate(method, config, data_dir, model, tokenizer, number, out) -> dict[str, Any]:
    """Greedy episodes on the test compositions of rounds 1..``number``, recorded for the TUI;
    their summary by test round, and by round and number of calls."""
    from agents.evaluate import play, summarize

    options = {"describe": "retrieved", "describe_k": config.icl_k} if method == "icl" else {}
    make = make_env(data_dir, ranks(config.round_ranges()[:number]), "test", CALL_FORMAT[method], **options)
    env = make()
    count = env.unwrapped.num_tasks
    env.close()
    episodes = play(
        model, tokenizer, make, [{"task_id": i} for i in range(count)],
        max_new_tokens=config.max_new_tokens, batch_size=config.eval_batch_size, name=method,
        path=out / "trajectories" / f"{method}_round{number}.jsonl", run_id=out.name,
        tags={"method": method, "after_round": str(number)},
    )  # fmt: skip
    by_round = summarize(episodes, by="round")
    result: dict[str, Any] = {"all": summarize(episodes)}
    for test_round, summary in by_round.items():
        in_round = [e for e in episodes if e.metrics.get("round") == test_round]
        by_calls = {str(calls): s for calls, s in summarize(in_round, by="calls").items()}  # JSON keys
        result[f"round{test_round}"] = {**summary, "by_calls": by_calls}
    return result


def _log_scalars(folder: Path, record: dict[str, Any]) -> None:
    """The round's scores in TensorBoard (``eval/round<k>/<metric>`` against the round trained)."""
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(folder))
    for key, summary in record["eval"].items():
        for metric in ("tool_f1", "arg_f1", "exact_match", "strict_match", "parse_errors"):
            if key.startswith("round") and summary.get(metric) is not None:
                writer.add_scalar(f"eval/{key}/{metric}", summary[metric], record["round"])
    writer.close()


def _report(method: str, record: dict[str, Any]) -> None:
    parts = []
    for key, summary in record["eval"].items():
        if key.startswith("round"):
            parts.append(f"{key}: tool F1 {summary['tool_f1']:.3f} arg F1 {summary['arg_f1']:.3f}")
    print(f"[{method}] after round {record['round']}: " + "; ".join(parts), flush=True)
