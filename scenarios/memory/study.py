"""The memory study: in-tool vs in-weight learning of N people's facts (seed 000's Section 5).

Two language models of the paper's family learn the same 4N facts: one learns to query the
database (in-tool), one learns the answers themselves (in-weight). Both are trained with SFT on
the oracle's conversations, then play every training question greedily (recall) and questions
about unseen people (OOD accuracy), with the database answering live.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from learners.common import is_main_process
from learners.sft_config import SFTConfig

MODES = ("in_tool", "in_weight")


@dataclass
class ModeConfig:
    """Model and training of one mode."""

    width: int = 64
    """Model width d (2 layers: 32 d^2 + 525 d parameters)."""
    sft: SFTConfig = field(default_factory=SFTConfig)
    """The SFT learner's options."""


@dataclass
class MemoryConfig:
    """A run of the memory study."""

    n_people: int = 1000
    """People whose facts are learned (4 questions each)."""
    alpha: float = 1.0
    """Attribute independence (1 = independent, 0 = set by the family name)."""
    data_seed: int = 0
    """Seed of the people's attributes."""
    query_language: str = "find"
    """What the in-tool model writes in its ```sql fence: ``find`` (the paper) or ``sql``."""
    layers: int = 2
    """Decoder layers."""
    heads: int = 2
    """Attention heads."""
    model: str | None = None
    """Path of a local Hugging Face causal LM to fine-tune instead of building one from scratch."""
    in_tool: ModeConfig = field(default_factory=ModeConfig)
    """The in-tool model."""
    in_weight: ModeConfig = field(default_factory=ModeConfig)
    """The in-weight model."""
    ood_questions: int = 1000
    """Questions about unseen people (OOD split) played per mode; 0 = no OOD evaluation."""
    eval_batch_size: int = 500
    """Episodes generated together during evaluation."""
    progress: bool = True
    """Show progress bars while training."""


def cpu_profile(n_people: int = 1000) -> MemoryConfig:
    """Settings for a 2-core laptop CPU: about 14 minutes for 1,000 people (see the README).

    Chosen from a sweep over learning rate, warm-up, batch, width and steps (README): a 300-step
    warm-up and a peak learning rate near 1.5e-3 made in-tool copying learn on most data orders,
    and in-weight recall needs about 80 passes over the 4,000 facts whatever the batch.
    """
    return MemoryConfig(
        n_people=n_people,
        in_tool=ModeConfig(
            width=64,
            sft=SFTConfig(
                learning_rate=1.5e-3, batch_size=32, max_steps=3000, warmup_steps=300, weight_decay=0.0,
                eval_steps=750, eval_episodes=200, save_steps=750,
            ),
        ),
        in_weight=ModeConfig(
            width=64,
            sft=SFTConfig(
                learning_rate=2e-3, batch_size=64, max_steps=5000, warmup_steps=300, weight_decay=0.0,
                eval_steps=1250, eval_episodes=200, save_steps=1250,
            ),
        ),
    )  # fmt: skip


def paper_profile(n_people: int = 1000) -> MemoryConfig:
    """The seed's settings: 2 layers, 2 heads, batch 128, lr 1e-3, 100k steps (GPU)."""
    sft = SFTConfig(
        learning_rate=1e-3,
        batch_size=128,
        max_steps=100_000,
        warmup_steps=1000,
        eval_steps=5000,
        save_steps=5000,
    )
    return MemoryConfig(
        n_people=n_people,
        in_tool=ModeConfig(width=32, sft=sft),
        in_weight=ModeConfig(width=64, sft=SFTConfig(**vars(sft))),
    )


def run_memory(config: MemoryConfig, out: Path, device: str = "auto", resume: bool = False) -> dict[str, Any]:
    """Run the study into the folder ``out``; return the results written to ``results.json``."""
    from agents.random_agent import RandomAgent
    from agents.rollout import rollout
    from learners.common import resolve_device

    started = time.perf_counter()
    device = resolve_device(device)
    trajectories = out / "trajectories"
    results: dict[str, Any] = {"n_people": config.n_people, "device": device}
    if is_main_process():
        print(
            f"[data] oracle conversations for {4 * config.n_people} questions about {config.n_people} people"
        )
        random_train = rollout(
            env_factory(config, "in_weight"),
            RandomAgent(),
            tasks=train_tasks(config),
            num_envs=64,
            path=_fresh(trajectories / "random_train.jsonl"),
            run_id=out.name,
        )
        random_ood = rollout(
            env_factory(config, "in_weight", "ood"),
            RandomAgent(),
            tasks=ood_tasks(config),
            num_envs=64,
            path=_fresh(trajectories / "random_ood.jsonl"),
            run_id=out.name,
        )
        results["random"] = {"recall": _mean_reward(random_train), "ood_accuracy": _mean_reward(random_ood)}
    for mode in MODES:
        results[mode] = train_and_evaluate(config, mode, out, device, resume)
    if not is_main_process():
        return {}
    results["wall_seconds"] = time.perf_counter() - started
    (out / "results.json").write_text(json.dumps(results, indent=2))
    figure = draw_figure(results, out / "figures" / "recall.png")
    print_summary(results, out, figure)
    return results


def train_and_evaluate(
    config: MemoryConfig, mode: str, out: Path, device: str, resume: bool = False
) -> dict[str, Any]:
    """Train ``mode``'s model on the oracle's conversations, then measure recall and OOD accuracy.

    Writes ``out/trajectories/{oracle,eval}_<mode>_*.jsonl``, ``out/checkpoints/<mode>/`` and
    ``out/tb/<mode>/``; with ``resume``, picks up the oracle data and the last checkpoint there.
    Returns this mode's results (empty on processes other than the first under accelerate).
    """
    from transformers import set_seed

    from agents.evaluate import play
    from agents.model import build_model, load_model, parameter_count
    from agents.oracle import OracleAgent
    from agents.rollout import rollout
    from agents.tokenizers.memory import build_memory_tokenizer
    from envs.trajectory import read_trajectories
    from learners.common import resolve_device
    from learners.sft import train_sft

    device = resolve_device(device)
    mode_config: ModeConfig = getattr(config, mode)
    trajectories = out / "trajectories"
    oracle_path = trajectories / f"oracle_{mode}.jsonl"
    main = is_main_process()
    if resume and oracle_path.exists():
        data = list(read_trajectories(oracle_path))
    else:
        data = rollout(
            env_factory(config, mode),
            OracleAgent(),
            tasks=train_tasks(config),
            num_envs=64,
            path=_fresh(oracle_path) if main else None,
            run_id=out.name,
        )
    checkpoints = out / "checkpoints" / mode
    final = checkpoints / "final"
    if resume and (final / "config.json").exists():
        print(f"[{mode}] already trained: {final}")
        model, tokenizer = load_model(final)
        train_seconds = None
    else:
        set_seed(mode_config.sft.seed)  # the same initial weights on every run
        if config.model:
            model, tokenizer = load_model(config.model)
        else:
            tokenizer = build_memory_tokenizer()
            model = build_model(len(tokenizer), config.layers, config.heads, mode_config.width)
        print(
            f"[{mode}] {parameter_count(model):,} parameters "
            f"({config.layers} layers, {config.heads} heads, width {mode_config.width})"
        )
        tick = time.perf_counter()
        model = train_sft(
            model,
            tokenizer,
            data,
            mode_config.sft,
            checkpoints,
            tb_dir=out / "tb" / mode,
            make_eval_env=env_factory(config, mode),
            resume=resume,
            device=device,
            progress=config.progress,
        )
        train_seconds = time.perf_counter() - tick
    if not main:
        return {}
    model.to(device)
    tick = time.perf_counter()
    recall = play(
        model,
        tokenizer,
        env_factory(config, mode),
        train_tasks(config),
        batch_size=config.eval_batch_size,
        path=trajectories / f"eval_{mode}_train.jsonl",
        run_id=out.name,
        record_demonstrations=True,  # the TUI compares the turns with them
    )
    ood = (
        play(
            model,
            tokenizer,
            env_factory(config, mode, "ood"),
            ood_tasks(config),
            batch_size=config.eval_batch_size,
            path=trajectories / f"eval_{mode}_ood.jsonl",
            run_id=out.name,
            record_demonstrations=True,
        )
        if config.ood_questions
        else []
    )
    results = {
        "recall": _mean_reward(recall),
        "recall_by_attribute": _by_attribute(recall),
        "ood_accuracy": _mean_reward(ood) if ood else None,
        "params": parameter_count(model),
        "width": mode_config.width,
        "steps": mode_config.sft.max_steps,
        "train_seconds": train_seconds,
        "eval_seconds": time.perf_counter() - tick,
        "tool_call_rate": sum(t.metrics["tool_calls"] > 0 for t in recall) / len(recall),
    }
    ood_text = f"{results['ood_accuracy']:.3f}" if ood else "-"
    print(f"[{mode}] recall {results['recall']:.3f}, OOD accuracy {ood_text}")
    return results


def env_factory(config: MemoryConfig, mode: str, split: str = "train"):
    """A function that makes the PeopleMemory env of ``config`` for ``mode`` and ``split``."""
    import gymnasium as gym

    import envs  # noqa: F401

    kwargs = dict(
        n_people=config.n_people if split == "train" else _ood_people(config),
        mode=mode,
        split=split,
        alpha=config.alpha,
        seed=config.data_seed,
        query_language=config.query_language,
    )
    return lambda: gym.make("toolgym/PeopleMemory-v0", **kwargs)


def train_tasks(config: MemoryConfig) -> list[dict[str, int]]:
    """Every question about the training people (4 per person)."""
    return [{"task_id": i} for i in range(4 * config.n_people)]


def ood_tasks(config: MemoryConfig) -> list[dict[str, int]]:
    """``config.ood_questions`` questions about unseen people."""
    return [{"task_id": i} for i in range(min(config.ood_questions, 4 * _ood_people(config)))]


def _ood_people(config: MemoryConfig) -> int:
    return max(1, (config.ood_questions + 3) // 4)


def draw_figure(results: dict[str, Any], path: Path) -> Path:
    """Recall and OOD accuracy of each mode, with the random baseline as the floor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    figure, axis = plt.subplots(figsize=(6, 4))
    labels = ["recall (trained people)", "accuracy (unseen people)"]
    for offset, mode in ((-0.2, "in_tool"), (0.2, "in_weight")):
        values = [results[mode]["recall"], results[mode]["ood_accuracy"]]
        label = f"{mode} ({results[mode]['params'] / 1000:.0f}K params)"
        axis.bar([i + offset for i in range(2)], values, width=0.4, label=label)
    axis.axhline(results["random"]["recall"], color="gray", linestyle="--", label="random baseline")
    axis.set_xticks(range(2), labels)
    axis.set_ylim(0, 1.05)
    axis.set_title(f"PeopleMemory, {results['n_people']} people")
    axis.legend(loc="upper right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def print_summary(results: dict[str, Any], out: Path, figure: Path) -> None:
    print()
    print(f"{'':<11}{'params':>9}{'recall':>9}{'OOD acc.':>10}{'train s':>9}")
    for mode in MODES:
        r = results[mode]
        seconds = f"{r['train_seconds']:.0f}" if r["train_seconds"] is not None else "-"
        print(f"{mode:<11}{r['params']:>9,}{r['recall']:>9.3f}{r['ood_accuracy']:>10.3f}{seconds:>9}")
    print(
        f"{'random':<11}{'':>9}{results['random']['recall']:>9.3f}{results['random']['ood_accuracy']:>10.3f}"
    )
    print(f"\nwall time {results['wall_seconds'] / 60:.1f} min; results: {out / 'results.json'}")
    print(f"figure: {figure}")
    print(f"tensorboard --logdir {out / 'tb'}")


def _mean_reward(trajectories) -> float:
    return sum(t.reward for t in trajectories) / max(1, len(trajectories))


def _by_attribute(trajectories) -> dict[str, float]:
    totals: dict[str, list[float]] = {}
    for t in trajectories:
        totals.setdefault(t.metrics["attribute"], []).append(t.reward)
    return {attribute: sum(r) / len(r) for attribute, r in sorted(totals.items())}


def _fresh(path: Path) -> Path:
    """A trajectories file started anew (evaluations are rewritten, not appended to)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    return path
