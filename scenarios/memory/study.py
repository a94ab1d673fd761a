"""The memory study: in-tool vs in-weight learning of N people's facts (the paper's Section 5).

Two language models of the paper's family learn the same 4N facts: one learns to query the
database (in-tool), one learns the answers themselves (in-weight). Both are trained with SFT on
the oracle's conversations, then play every training question greedily (recall) and questions
about unseen people (OOD accuracy), with the database answering live.

:func:`run_memory` reads as the experiment: config, ``make_env``, the oracle's data, the trained
model, its evaluation, the figure. The memory grids reuse :func:`train_and_evaluate`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.model import INITS, check_width
from envs.checks import check_choice, check_int, check_number
from envs.memory.env import MODES, QUERY_LANGUAGES
from envs.memory.people import ATTRIBUTES, DESIGNS, population_size, resolve_design
from learners.sft_config import SFTConfig
from scenarios.figures import new_figure, print_table, save


@dataclass
class ModeConfig:
    """Model and training of one mode."""

    width: int = 64
    """Model width d (2 layers: 32 d^2 + 525 d parameters)."""
    sft: SFTConfig = field(default_factory=SFTConfig)
    """The SFT learner's options."""

    def __post_init__(self) -> None:
        check_int("width", self.width, minimum=2)


def _in_tool_cpu() -> ModeConfig:
    return ModeConfig(
        width=64,
        sft=SFTConfig(
            learning_rate=1.5e-3, batch_size=32, max_steps=3000, warmup_steps=300, weight_decay=0.0,
            eval_steps=750, eval_episodes=200, save_steps=750,
        ),
    )  # fmt: skip


def _in_weight_cpu() -> ModeConfig:
    return ModeConfig(
        width=64,
        sft=SFTConfig(
            learning_rate=2e-3, batch_size=64, max_steps=5000, warmup_steps=300, weight_decay=0.0,
            eval_steps=1250, eval_episodes=200, save_steps=1250,
        ),
    )  # fmt: skip


# What itl's code does (docs/memory_itl_reference.md): AdamW betas (0.9, 0.95), lr 1e-3, a 50-step
# warm-up, no gradient clipping, weight decay 0.1 on every parameter, fp32; RMSNorm eps 1e-5,
# rotary angles x 2 pi, init truncated normal with std d^-1/2 ((4d)^-1/2 for the MLP's output).
ITL_TRAINING = dict(
    learning_rate=1e-3, adam_beta2=0.95, warmup_steps=50, max_grad_norm=0.0, weight_decay=0.1,
    decay_norms=True, precision="fp32",
)  # fmt: skip
ITL_MODEL = dict(norm_eps=1e-5, rope_angle_scale=2 * math.pi, init="itl")
ITL_OOD_PEOPLE = 10  # itl's OOD protocol: 10 unseen people, 40 questions (generalization/args.py)


@dataclass
class MemoryConfig:
    """A run of the memory study; the defaults are the CPU profile's calibrated settings."""

    n_people: int = 1000
    """People whose facts are learned (4 questions each), at most the training pool's size."""
    alpha: float = 1.0
    """Attribute independence in [0, 1] (1 = independent, 0 = set by the family name)."""
    design: str | None = None
    """How the people are drawn (``envs.memory.people``): ``itl`` (itl's dependent data, 128 x 64
    names) or ``wide`` (every name pair); None: ``itl`` for ``alpha < 1``, ``wide`` for 1."""
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
    norm_eps: float = 1e-6
    """RMSNorm's epsilon (itl: 1e-5)."""
    rope_angle_scale: float = 1.0
    """Factor on the rotary angles (itl: 2 pi)."""
    init: str = "transformers"
    """Initial weights: ``transformers`` (normal, std 0.02) or ``itl`` (truncated normal, std
    width ** -0.5, (4 width) ** -0.5 for the MLP's output; ``agents.model.build_model``)."""
    in_tool: ModeConfig = field(default_factory=_in_tool_cpu)
    """The in-tool model."""
    in_weight: ModeConfig = field(default_factory=_in_weight_cpu)
    """The in-weight model."""
    ood_questions: int = 1000
    """Questions about unseen people (OOD split) played per mode; 0 = no OOD evaluation."""
    itl_ood_every: int = 0
    """itl's OOD protocol beside ours: every this many training steps, and on the final model, the
    model plays the 40 questions of 10 unseen people (the first 10 of the OOD split); the best of
    those evaluations is ``ood_accuracy_itl`` (itl: every 1,000 of 100k steps). 0: not measured."""
    eval_batch_size: int = 500
    """Episodes generated together during evaluation."""
    progress: bool = True
    """Show progress bars while training."""

    def __post_init__(self) -> None:
        check_number("alpha", self.alpha, 0.0, 1.0)
        if self.design is not None:
            check_choice("design", self.design, DESIGNS)
        design = resolve_design(self.design, self.alpha)
        check_int("n_people", self.n_people, 1, population_size("train", design))  # the training pool's size
        check_int("data_seed", self.data_seed, minimum=0)
        check_choice("query_language", self.query_language, QUERY_LANGUAGES)
        check_int("layers", self.layers, minimum=1)
        check_int("heads", self.heads, minimum=1)
        check_number("norm_eps", self.norm_eps, minimum=0)
        check_number("rope_angle_scale", self.rope_angle_scale, minimum=1e-6)
        check_choice("init", self.init, INITS)
        for mode in MODES:
            check_width(f"{mode}.width", getattr(self, mode).width, self.heads)
        check_int("ood_questions", self.ood_questions, 0, len(ATTRIBUTES) * population_size("ood", design))
        check_int("itl_ood_every", self.itl_ood_every, minimum=0)
        check_int("eval_batch_size", self.eval_batch_size, minimum=1)


def cpu_profile(n_people: int = 1000) -> MemoryConfig:
    """Settings for a 2-core laptop CPU: about 14 minutes for 1,000 people (see the README).

    Chosen from a sweep over learning rate, warm-up, batch, width and steps (README): a 300-step
    warm-up and a peak learning rate near 1.5e-3 made in-tool copying learn on most data orders,
    and in-weight recall needs about 80 passes over the 4,000 facts whatever the batch.
    """
    return MemoryConfig(n_people=n_people)


def paper_profile(n_people: int = 1000) -> MemoryConfig:
    """The paper's settings: 2 layers, 2 heads, batch 128, lr 1e-3, 100k steps (GPU), with itl's
    optimiser, schedule, precision and model choices (``ITL_TRAINING``, ``ITL_MODEL``)."""
    sft = SFTConfig(**ITL_TRAINING, batch_size=128, max_steps=100_000, eval_steps=5000, save_steps=5000)
    return MemoryConfig(
        n_people=n_people,
        **ITL_MODEL,
        in_tool=ModeConfig(width=32, sft=sft),
        in_weight=ModeConfig(width=64, sft=SFTConfig(**vars(sft))),
    )


def run_memory(config: MemoryConfig, out: Path, device: str = "auto", resume: bool = False) -> dict[str, Any]:
    """Run the study into the folder ``out``; return the results written to ``results.json``."""
    from learners.common import is_main_process, resolve_device

    started = time.perf_counter()
    device = resolve_device(device)
    results: dict[str, Any] = {"n_people": config.n_people, "device": device}
    if is_main_process():
        questions = len(ATTRIBUTES) * config.n_people
        print(f"[data] oracle conversations for {questions} questions about {config.n_people} people")
        results["random"] = random_baseline(config, out)
    for mode in MODES:
        results[mode] = train_and_evaluate(config, mode, out, device, resume)
    if not is_main_process():
        return {}
    results["headline"] = {
        "metric": "recall",
        "values": {key: results[key]["recall"] for key in (*MODES, "random")},
    }
    results["wall_seconds"] = time.perf_counter() - started
    (out / "results.json").write_text(json.dumps(results, indent=2))
    figure = draw_figure(results, out / "figures" / "recall.png")
    print_summary(results, out, figure)
    return results


def make_env(config: MemoryConfig, mode: str, split: str = "train"):
    """A function that makes the PeopleMemory env of ``config`` for ``mode`` and ``split``."""
    import gymnasium as gym

    import envs  # noqa: F401  (registers the ids)

    kwargs = dict(
        n_people=config.n_people if split == "train" else _ood_people(config),
        mode=mode,
        split=split,
        alpha=config.alpha,
        design=config.design,
        seed=config.data_seed,
        query_language=config.query_language,
    )
    return lambda: gym.make("toolgym/PeopleMemory-v0", **kwargs)


def train_tasks(config: MemoryConfig) -> list[dict[str, int]]:
    """Every question about the training people (4 per person)."""
    return [{"task_id": i} for i in range(len(ATTRIBUTES) * config.n_people)]


def ood_tasks(config: MemoryConfig) -> list[dict[str, int]]:
    """``config.ood_questions`` questions about unseen people."""
    return [{"task_id": i} for i in range(min(config.ood_questions, len(ATTRIBUTES) * _ood_people(config)))]


def _ood_people(config: MemoryConfig) -> int:
    return max(1, (config.ood_questions + 3) // 4)


def random_baseline(config: MemoryConfig, out: Path) -> dict[str, float | None]:
    """The random agent's recall and OOD accuracy (``None`` without OOD questions): the floor."""
    from agents.evaluate import summarize, write_fresh
    from agents.random_agent import RandomAgent
    from agents.rollout import rollout

    scores = {}
    for key, split, tasks in (
        ("recall", "train", train_tasks(config)),
        ("ood_accuracy", "ood", ood_tasks(config)),
    ):
        played = rollout(
            make_env(config, "in_weight", split), RandomAgent(), tasks=tasks, num_envs=64, run_id=out.name
        )
        if played:
            write_fresh(out / "trajectories" / f"random_{split}.jsonl", played)
        scores[key] = summarize(played)["reward"]
    return scores


def train_and_evaluate(
    config: MemoryConfig, mode: str, out: Path, device: str, resume: bool = False
) -> dict[str, Any]:
    """Train ``mode``'s model on the oracle's conversations, then measure recall and OOD accuracy.

    Writes ``out/trajectories/{oracle,eval}_<mode>_*.jsonl``, ``out/checkpoints/<mode>/`` and
    ``out/tb/<mode>/``; with ``resume``, picks up the oracle data and the last checkpoint there.
    Returns this mode's results (empty on processes other than the first under accelerate).
    """
    from learners.common import is_main_process, resolve_device

    device = resolve_device(device)  # a grid cell passes "auto"
    data = oracle_data(config, mode, out, resume)
    model, tokenizer, train_seconds = trained_model(config, mode, data, out, device, resume)
    if not is_main_process():
        return {}
    results = evaluate_mode(config, mode, model, tokenizer, out, device)
    if config.itl_ood_every:
        results["ood_accuracy_itl"] = best_itl_ood_accuracy(config, mode, model, tokenizer, out)
    results["train_seconds"] = train_seconds
    ood_text = "-" if results["ood_accuracy"] is None else f"{results['ood_accuracy']:.3f}"
    print(f"[{mode}] recall {results['recall']:.3f}, OOD accuracy {ood_text}")
    return results


def oracle_data(config: MemoryConfig, mode: str, out: Path, resume: bool = False) -> list:
    """The oracle's conversations for every training question, ``trajectories/oracle_<mode>.jsonl``.

    The file is written whole or not at all (a temporary file, then a rename), so a run killed
    while writing it never trains on part of it; on resume a file without every question (left by
    an older toolgym, which appended as it went) is played again.
    """
    from agents.evaluate import write_fresh
    from agents.oracle import OracleAgent
    from agents.rollout import rollout
    from envs.trajectory import read_trajectories
    from learners.common import is_main_process

    path = out / "trajectories" / f"oracle_{mode}.jsonl"
    tasks = train_tasks(config)
    if resume and path.exists():
        data = list(read_trajectories(path))
        if len(data) == len(tasks):
            return data
        print(f"[{mode}] {path} holds {len(data)} of {len(tasks)} conversations: playing them again")
    data = rollout(make_env(config, mode), OracleAgent(), tasks=tasks, num_envs=64, run_id=out.name)
    if is_main_process():
        write_fresh(path, data)
    return data


def trained_model(config: MemoryConfig, mode: str, data: list, out: Path, device: str, resume: bool = False):
    """``mode``'s model trained by SFT on ``data`` (or read back when a resumed run has finished it);
    returns the model, its tokenizer and the training seconds (``None`` when read back)."""
    from agents.model import load_model, parameter_count
    from learners.sft import train_sft

    mode_config: ModeConfig = getattr(config, mode)
    checkpoints = out / "checkpoints" / mode
    final = checkpoints / "final"
    if resume and (final / "config.json").exists():
        print(f"[{mode}] already trained: {final}")
        model, tokenizer = load_model(final)
        return model, tokenizer, None
    model, tokenizer = initial_model(config, mode)
    if resume and (final / "adapter_config.json").exists():  # LoRA: the base as built, its adapter
        from peft import PeftModel

        from learners.common import quiet_library_warnings

        print(f"[{mode}] already trained: {final}")
        with quiet_library_warnings():
            model = PeftModel.from_pretrained(model, str(final))
        return model, tokenizer, None
    print(
        f"[{mode}] {parameter_count(model):,} parameters "
        f"({config.layers} layers, {config.heads} heads, width {mode_config.width})"
    )
    started = time.perf_counter()
    callbacks = [itl_ood_callback(config, mode, tokenizer, out)] if config.itl_ood_every else []
    model = train_sft(
        model,
        tokenizer,
        data,
        mode_config.sft,
        checkpoints,
        tb_dir=out / "tb" / mode,
        make_eval_env=make_env(config, mode),
        resume=resume,
        device=device,
        progress=config.progress,
        callbacks=callbacks,
    )
    return model, tokenizer, time.perf_counter() - started


def initial_model(config: MemoryConfig, mode: str):
    """``mode``'s model before training and its tokenizer: the same weights on every run."""
    from transformers import set_seed

    from agents.model import build_model, load_model
    from agents.tokenizers.memory import build_memory_tokenizer

    set_seed(getattr(config, mode).sft.seed)
    if config.model:
        return load_model(config.model)
    tokenizer = build_memory_tokenizer()
    width = getattr(config, mode).width
    model = build_model(
        len(tokenizer), config.layers, config.heads, width, norm_eps=config.norm_eps,
        rope_angle_scale=config.rope_angle_scale, init=config.init,
    )  # fmt: skip
    return model, tokenizer


def train_together(configs: list[MemoryConfig], mode: str, outs: list[Path], device: str) -> None:
    """Train ``mode``'s models of several runs that share a shape and an SFT config in one stack
    (:func:`learners.batched_sft.train_sft_batched`), into each run's ``checkpoints/<mode>/final``,
    where :func:`train_and_evaluate` then finds them; runs already trained are left out."""
    from learners.batched_sft import train_sft_batched
    from learners.common import resolve_device

    todo = [
        (c, o)
        for c, o in zip(configs, outs, strict=True)
        if not (o / "checkpoints" / mode / "final" / "config.json").exists()
    ]
    if not todo:
        return
    sft = getattr(todo[0][0], mode).sft
    if any(getattr(c, mode).sft != sft for c, _ in todo):  # widths: train_sft_batched checks shapes
        raise ValueError(f"the {mode} models trained together must share their SFT config")
    initial = [initial_model(c, mode) for c, _ in todo]
    started = time.perf_counter()
    train_sft_batched(
        [model for model, _ in initial],
        initial[0][1],
        [oracle_data(c, mode, o, resume=True) for c, o in todo],
        sft,
        [o / "checkpoints" / mode for _, o in todo],
        resume=True,
        device=resolve_device(device),
        progress=todo[0][0].progress,
    )
    print(f"[{mode}] {len(todo)} models trained together in {time.perf_counter() - started:.0f} s")


def evaluate_mode(
    config: MemoryConfig, mode: str, model, tokenizer, out: Path, device: str
) -> dict[str, Any]:
    """Recall (greedy, every training question), its split by attribute, and OOD accuracy (``None``
    without OOD questions); the episodes go to ``trajectories/eval_<mode>_{train,ood}.jsonl``."""
    from agents.evaluate import play, summarize
    from agents.model import parameter_count

    model.to(device)
    started = time.perf_counter()
    played = {}
    for split, tasks in (("train", train_tasks(config)), ("ood", ood_tasks(config))):
        played[split] = play(
            model,
            tokenizer,
            make_env(config, mode, split),
            tasks,
            batch_size=config.eval_batch_size,
            path=out / "trajectories" / f"eval_{mode}_{split}.jsonl",
            run_id=out.name,
            tags={"split": split},
            record_demonstrations=True,  # the TUI compares the turns with them
        ) if tasks else []  # fmt: skip
    recall = summarize(played["train"])
    return {
        "recall": recall["reward"],
        "recall_by_attribute": {
            a: s["reward"] for a, s in summarize(played["train"], by="attribute").items()
        },
        "ood_accuracy": summarize(played["ood"])["reward"],
        "params": parameter_count(model),
        "width": getattr(config, mode).width,
        "steps": getattr(config, mode).sft.max_steps,
        "eval_seconds": time.perf_counter() - started,
        "tool_call_rate": recall["tool_call_rate"],
    }


def itl_ood_tasks() -> list[dict[str, int]]:
    """itl's OOD evaluation set: every question about the first ``ITL_OOD_PEOPLE`` unseen people."""
    return [{"task_id": i} for i in range(len(ATTRIBUTES) * ITL_OOD_PEOPLE)]


def itl_ood_accuracy(config: MemoryConfig, mode: str, model, tokenizer) -> float:
    """Accuracy of ``model`` on itl's 40 OOD questions (greedy, the OOD database answering)."""
    from agents.evaluate import play, summarize

    # At least itl's 10 people in the OOD env, whatever ood_questions says.
    questions = max(config.ood_questions, len(ATTRIBUTES) * ITL_OOD_PEOPLE)
    env = make_env(dataclasses.replace(config, ood_questions=questions), mode, "ood")
    return summarize(play(model, tokenizer, env, itl_ood_tasks(), batch_size=config.eval_batch_size))[
        "reward"
    ]


def _itl_ood_path(out: Path, mode: str) -> Path:
    return out / f"ood_itl_{mode}.json"


def itl_ood_callback(config: MemoryConfig, mode: str, tokenizer, out: Path):
    """A ``TrainerCallback`` that plays itl's OOD questions every ``config.itl_ood_every`` steps and
    records the accuracy by step in ``out/ood_itl_<mode>.json``; the file outlives a killed run,
    and a resumed one overwrites the steps it plays again."""
    from transformers import TrainerCallback  # here: importing the study needs no transformers

    class ItlOODEvaluations(TrainerCallback):
        def on_step_end(self, args, state, control, model=None, **kwargs):
            if state.global_step % config.itl_ood_every == 0 and state.is_world_process_zero:
                accuracy = itl_ood_accuracy(config, mode, model, tokenizer)
                record_itl_ood(out, mode, state.global_step, accuracy)

    return ItlOODEvaluations()


def record_itl_ood(out: Path, mode: str, step: int | str, accuracy: float) -> dict[str, float]:
    """Add ``accuracy`` at ``step`` to the mode's itl OOD record; return the whole record."""
    path = _itl_ood_path(out, mode)
    record = json.loads(path.read_text()) if path.exists() else {}
    record[str(step)] = accuracy
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=2))
    temporary.replace(path)  # atomic: a killed run never leaves half a record
    return record


def best_itl_ood_accuracy(config: MemoryConfig, mode: str, model, tokenizer, out: Path) -> float:
    """itl's reported OOD accuracy: the best of the evaluations during training and the final model's."""
    record = record_itl_ood(out, mode, "final", itl_ood_accuracy(config, mode, model, tokenizer))
    return max(record.values())


def draw_figure(results: dict[str, Any], path: Path) -> Path:
    """Recall and OOD accuracy of each mode (no bar without OOD questions), above the random floor."""
    figure, axis = new_figure((6, 4))
    labels = ["recall (trained people)", "accuracy (unseen people)"]
    for offset, mode in ((-0.2, "in_tool"), (0.2, "in_weight")):
        values = [results[mode]["recall"], results[mode]["ood_accuracy"]]
        label = f"{mode} ({results[mode]['params'] / 1000:.0f}K params)"
        axis.bar(
            [i + offset for i, v in enumerate(values) if v is not None],
            [v for v in values if v is not None],
            width=0.4,
            label=label,
        )
    axis.axhline(results["random"]["recall"], color="gray", linestyle="--", label="random baseline")
    axis.set_xticks(range(2), labels)
    axis.set_ylim(0, 1.05)
    axis.set_title(f"PeopleMemory, {results['n_people']} people")
    axis.legend(loc="upper right", fontsize=8)
    return save(figure, path)


def print_summary(results: dict[str, Any], out: Path, figure: Path) -> None:
    print()
    rows = [
        {"name": mode, **results[mode], "train_seconds": _whole(results[mode]["train_seconds"])}
        for mode in MODES
    ]
    columns = [
        ("name", ""),
        ("params", "params"),
        ("recall", "recall"),
        ("ood_accuracy", "OOD acc."),
        ("train_seconds", "train s"),
    ]
    print_table([*rows, {"name": "random", **results["random"]}], columns)
    print(f"\nwall time {results['wall_seconds'] / 60:.1f} min; results: {out / 'results.json'}")
    print(f"figure: {figure}")
    print(f"tensorboard --logdir {out / 'tb'}")


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds)
