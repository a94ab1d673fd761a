"""The TnD learner: a student from scratch, CLM steps alternating with RL on trials and demonstrations.

One explicit loop (nanoGPT/CleanRL style), after Algorithm 1 of Ma et al. 2024: each cycle is
``clm_per_cycle`` CLM steps on corpus utterances, then ``rl_per_cycle`` RL steps. An RL step draws
``trials_per_step`` tasks of ``toolgym/TeacherDemo-v0`` at the student's current step; the student
plays them (its trials, top-k sampling) and the env's oracle plays them (the teacher's
demonstrations); the env scores both with the reward model, ``R(S) - log n``; and both go into one
PPO update with a value head and GAE (:mod:`learners.value_ppo`), without a KL term.

Where the published code differs from the paper, the paper is followed (``docs/tnd.md``): the
demonstrations are scored by the reward model (``demo_reward="constant"`` is the code's
constant), an RL step does no CLM, and ``variant="demo"`` trains on demonstrations only.

Evaluation is the caller's ``evaluate(model) -> {name: value}`` (per-word surprisal), run after
each of ``eval_steps``; the results are the learning curves, kept in every checkpoint.

Under ``accelerate launch`` the loop is data-parallel (DDP): each process draws its own share of
a step's CLM batch and of its trials and demonstrations (``clm_batch_size`` and
``trials_per_step`` are split evenly), the gradients are averaged in ``backward``, and only the
first process evaluates, logs, records episodes and writes checkpoints (the others wait for it).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import fmean
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter

from agents.continuation import ContinuationAgent
from agents.model import quiet_transformers_bars
from agents.oracle import OracleAgent
from agents.rollout import rollout
from envs.trajectory import Trajectory, append_trajectories
from learners.clm import clm_update, warmup_schedule
from learners.common import data_parallel, markdown_table, process_index, wait_for_everyone, world_size
from learners.tnd_config import TnDConfig
from learners.value_ppo import ValueHead, ppo_step

TRACKED_IN_TENSORBOARD = 8  # words whose surprisal curve TensorBoard draws (the mean is always drawn)


def train_tnd(
    model,
    tokenizer,
    make_env: Callable[[], gym.Env],
    corpus: Sequence[Sequence[int]],
    config: TnDConfig,
    output_dir: str | os.PathLike,
    *,
    evaluate: Callable[[Any], dict[str, float]],
    eval_steps: Sequence[int],
    teacher_log_age: float | None = None,
    tb_dir: str | os.PathLike | None = None,
    rollout_path: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = True,
) -> dict[int, dict[str, float]]:
    """Train ``model`` (the student) for ``config.max_steps`` steps; return ``{step: evaluate(model)}``
    (empty on the processes other than the first under ``accelerate launch``).

    Args:
        model: a causal LM, usually freshly initialised.
        tokenizer: its tokenizer (``eos`` starts and ends every utterance).
        make_env: builds a ``toolgym/TeacherDemo-v0`` env with the reward model and the teacher.
        corpus: the training utterances, encoded (:func:`agents.tokenizers.teacher_demo.encode_sentence`).
        config: the learner's options.
        output_dir: checkpoints (``checkpoint.pt``), ``final/`` and ``curves.json`` go here.
        evaluate: measures the model (called after each of ``eval_steps``).
        eval_steps: the steps (1-based) the curves are read at.
        teacher_log_age: log of the teacher's step, for ``demo_reward="constant"``.
        tb_dir: TensorBoard folder (default ``output_dir/tb``).
        rollout_path: JSONL file the recorded trials and demonstrations are appended to.
        resume: continue from ``output_dir/checkpoint.pt`` when there is one.
        progress: show a progress bar.
    """
    from tqdm.auto import tqdm

    if config.demo_reward == "constant" and teacher_log_age is None:
        raise ValueError("demo_reward='constant' needs teacher_log_age (the log of the teacher's step)")
    processes, rank = world_size(), process_index()
    for key in ("clm_batch_size", "trials_per_step"):
        if getattr(config, key) % processes:
            raise ValueError(f"{key}={getattr(config, key)} does not split evenly over {processes} processes")
    main = rank == 0
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    device = next(model.parameters()).device
    head = ValueHead(model.config.hidden_size).to(device)
    clm_optimizer = torch.optim.AdamW(model.parameters(), lr=config.clm_learning_rate, weight_decay=0.0)
    clm_scheduler = warmup_schedule(clm_optimizer, config.clm_warmup_steps)
    rl_optimizer = torch.optim.AdamW([*model.parameters(), *head.parameters()], lr=config.ppo.learning_rate)
    state = {"step": 0, "curves": {}}
    checkpoint = output_dir / "checkpoint.pt"
    if resume and checkpoint.exists():
        state = _load_checkpoint(checkpoint, model, head, clm_optimizer, clm_scheduler, rl_optimizer)
    else:
        torch.manual_seed(config.seed)
    # Each process draws its own data; one process keeps the single-process stream.
    rng = np.random.default_rng([config.seed, state["step"], *([rank] if processes > 1 else [])])
    trained, trained_head = data_parallel(model, head)  # forward and backward go through these
    if not main:
        rollout_path = None
    curves: dict[int, dict[str, float]] = {int(k): v for k, v in state["curves"].items()}
    num_tasks = make_env().unwrapped.num_tasks
    student = ContinuationAgent(
        model, tokenizer, max_new_tokens=config.max_new_tokens, top_k=config.top_k, name="student"
    )
    writer = SummaryWriter(str(tb_dir or output_dir / "tb")) if main else None
    if writer:
        writer.add_text("hyperparameters", markdown_table(vars(config)))
    eval_at = set(eval_steps)
    logs: dict[str, list[float]] = {}
    bar = tqdm(
        range(state["step"] + 1, config.max_steps + 1),
        desc=f"{config.variant} seed {config.seed}",
        disable=not (progress and main),
        initial=state["step"],
        total=config.max_steps,
    )
    for step in bar:
        if config.is_rl_step(step):
            tasks = [
                {"task_id": int(i), "student_step": step}
                for i in rng.integers(num_tasks, size=config.trials_per_step // processes)
            ]
            stats = _rl_step(
                trained, trained_head, rl_optimizer, clm_optimizer, student, make_env, tasks, tokenizer,
                config, step, teacher_log_age, rollout_path,
            )  # fmt: skip
        else:
            rows = rng.integers(len(corpus), size=config.clm_batch_size // processes)
            loss = clm_update(trained, clm_optimizer, None, [corpus[i] for i in rows], tokenizer.pad_token_id)
            stats = {"clm/loss": loss}
        # The CLM rate follows the student's age, RL steps included, as the published code's
        # scheduler does (it steps after every training step): every variant warms up alike.
        clm_scheduler.step()
        for key, value in stats.items():
            logs.setdefault(key, []).append(value)
        if writer and (step % config.logging_steps == 0 or step == config.max_steps):
            for key, values in logs.items():
                writer.add_scalar(key, fmean(values), step)
            if "clm/loss" in logs:
                bar.set_postfix(loss=f"{fmean(logs['clm/loss']):.3f}")
            logs = {}
        if step in eval_at and main:
            curves[step] = evaluate(model)
            _log_curves(writer, curves[step], step)
        if step % config.save_steps == 0 and step < config.max_steps and main:
            _save_checkpoint(
                checkpoint, step, curves, model, head, clm_optimizer, clm_scheduler, rl_optimizer
            )
        if processes > 1 and (step in eval_at or step % config.save_steps == 0):
            wait_for_everyone()
    if main:
        writer.close()
        with quiet_transformers_bars():
            model.save_pretrained(output_dir / "final")
        tokenizer.save_pretrained(output_dir / "final")
        (output_dir / "curves.json").write_text(json.dumps({str(k): v for k, v in sorted(curves.items())}))
        checkpoint.unlink(missing_ok=True)
    wait_for_everyone()
    return curves


def _rl_step(
    model, head, rl_optimizer, clm_optimizer, student, make_env, tasks, tokenizer, config: TnDConfig,
    step: int, teacher_log_age: float | None, rollout_path,
) -> dict[str, float]:  # fmt: skip
    """Play the trials and demonstrations of one RL step and update the student on them."""
    tags = {"variant": config.variant, "seed": str(config.seed)}
    played: list[Trajectory] = []
    stats: dict[str, float] = {}
    if config.variant in ("tnd", "trial", "double_clm"):
        trials = rollout(
            make_env, student, tasks=tasks, num_envs=len(tasks), step=step, tags={**tags, "kind": "trial"}
        )
        stats["rl/trial_reward"] = fmean(t.reward for t in trials)
        played += trials
    if config.variant in ("tnd", "demo", "double_clm"):
        demos = rollout(
            make_env,
            OracleAgent(),
            tasks=tasks,
            num_envs=len(tasks),
            step=step,
            tags={**tags, "kind": "demo"},
        )
        if config.demo_reward == "constant":  # the published code's demonstration reward
            for demo in demos:
                demo.reward = teacher_log_age - math.log(step)
        stats["rl/demo_reward"] = fmean(d.reward for d in demos)
        played += demos
    if rollout_path is not None and config.record_per_step:
        kinds = ("trial", "demo")
        kept = [[t for t in played if t.tags["kind"] == kind][: config.record_per_step] for kind in kinds]
        append_trajectories(rollout_path, [t for records in kept for t in records])
    eos = tokenizer.eos_token_id
    prompts = [student.prompt_ids(t.messages[0]["content"]) for t in played]
    answers = [[*tokenizer(_continuation(t), add_special_tokens=False).input_ids, eos] for t in played]
    if config.variant != "double_clm":  # the paper's CLM_TnD does CLM on the same texts, no PPO
        samples = [(p, a, t.reward) for p, a, t in zip(prompts, answers, played, strict=True)]
        ppo = ppo_step(model, head, rl_optimizer, samples, config.ppo, tokenizer.pad_token_id)
        stats.update({f"rl/{key}": value for key, value in ppo.items()})
    if config.variant == "double_clm" or config.clm_in_rl_steps:
        sequences = [p + a for p, a in zip(prompts, answers, strict=True)]
        stats["rl/clm_loss"] = clm_update(model, clm_optimizer, None, sequences, tokenizer.pad_token_id)
    return stats


def _continuation(trajectory: Trajectory) -> str:
    turns = [m["content"] for m in trajectory.messages if m["role"] == "assistant"]
    return turns[0] if turns else ""


def _log_curves(writer: SummaryWriter, values: dict[str, float], step: int) -> None:
    finite = [v for v in values.values() if math.isfinite(v)]
    if finite:
        writer.add_scalar("surprisal/mean", fmean(finite), step)
    for word in list(values)[:TRACKED_IN_TENSORBOARD]:
        writer.add_scalar(f"surprisal/{word}", values[word], step)


def _save_checkpoint(
    path: Path, step, curves, model, head, clm_optimizer, clm_scheduler, rl_optimizer
) -> None:
    state = {
        "step": step,
        "curves": curves,
        "model": model.state_dict(),
        "head": head.state_dict(),
        "clm_optimizer": clm_optimizer.state_dict(),
        "clm_scheduler": clm_scheduler.state_dict(),
        "rl_optimizer": rl_optimizer.state_dict(),
        "torch_rng": torch.get_rng_state(),
    }
    partial = path.with_suffix(".tmp")
    torch.save(state, partial)
    partial.replace(path)  # a run killed while saving keeps the previous checkpoint whole


def _load_checkpoint(path: Path, model, head, clm_optimizer, clm_scheduler, rl_optimizer) -> dict[str, Any]:
    state = torch.load(path, weights_only=False)
    model.load_state_dict(state["model"])
    head.load_state_dict(state["head"])
    clm_optimizer.load_state_dict(state["clm_optimizer"])
    clm_scheduler.load_state_dict(state["clm_scheduler"])
    rl_optimizer.load_state_dict(state["rl_optimizer"])
    torch.set_rng_state(state["torch_rng"])
    return state
