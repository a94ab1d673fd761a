"""The PPO learner with ``advantage="gae"``: TRL 0.7's ``PPOTrainer`` (value head, GAE) on env rollouts.

TRL's "learning to use a calculator" example was first trained with this algorithm; TRL 1.x's
trainers are critic-free (:mod:`learners.ppo` is built on its GRPO), so the update is
:func:`learners.value_ppo.ppo_step` and the loop is written here, CleanRL style. Everything else
is the group learner's, so the two compare on one axis:

- the same rollouts (:meth:`learners.ppo.EnvRollouts.play`: batched multi-turn episodes, the
  tool's answers masked, episodes past ``max_completion_length`` masked whole), recorded with
  the step they were played at;
- the same batches and steps: ``tasks_per_step x rollouts_per_task`` episodes per batch, each
  batch optimised for ``ppo_epochs`` full-batch updates (TRL 0.7's ``ppo_epochs`` with one
  minibatch), a step being one optimiser update; the same AdamW, warm-up, schedule and clipping;
- checkpoints as ``output_dir/checkpoint-<step>`` (the model, ``trainer_state.json``'s
  ``global_step``, and the value head, optimiser, scheduler and KL coefficient), the final model
  in ``output_dir/final``; a killed run resumes from its last checkpoint.

What differs is the advantage: the episode's reward lands on the last token the model wrote, a
value head (dropout + linear on the last hidden state) is trained beside the policy (clipped
value loss, ``vf_coef``), and GAE (``gamma``, ``gae_lambda``) over the model's tokens, whitened
over the batch, gives each token its own advantage; ``kl_coef`` is TRL 0.7's per-token penalty in
the reward, adaptive with ``kl_target``. The ratio's log-probabilities are the model's logits
without the sampling temperature, as in TRL 0.7.

TensorBoard: ``train/reward``, ``train/policy_loss``, ``train/value_loss``, ``train/clipfrac``,
``train/approx_kl``, ``train/kl``, ``train/kl_coef``, ``train/learning_rate`` and the rollouts'
``train/env/*`` and ``train/rollout/*`` (the group learner's names).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from statistics import fmean
from typing import Any

import numpy as np
import torch

from agents.model import quiet_transformers_bars
from learners.common import last_checkpoint, markdown_table, use_bf16
from learners.ppo_config import LR_SCHEDULES, PPOConfig
from learners.value_ppo import KLController, ValueHead, ValuePPOConfig, ppo_step

STATE_FILE = "gae_ppo.pt"


def value_ppo_config(config: PPOConfig) -> ValuePPOConfig:
    """The PPO update's options from the learner's: one full-batch minibatch per epoch."""
    return ValuePPOConfig(
        learning_rate=config.learning_rate,
        mini_batch_size=config.tasks_per_step * config.rollouts_per_task,
        ppo_epochs=config.ppo_epochs,
        cliprange=config.clip_epsilon,
        cliprange_value=config.cliprange_value,
        vf_coef=config.vf_coef,
        gamma=config.gamma,
        lam=config.gae_lambda,
        kl_coef=config.kl_coef,
        kl_target=config.kl_target,
        max_grad_norm=config.max_grad_norm,
    )


def train_gae_ppo(
    model,
    tokenizer,
    player,
    config: PPOConfig,
    output_dir: Path,
    writer,
    resume: bool,
    device: str,
    progress: bool,
    callbacks: Sequence[Any] = (),
):
    """Train ``model`` by value-head PPO on the rewards of ``player``'s episodes (a
    :class:`learners.ppo.EnvRollouts`; not imported here, since ``learners.ppo`` calls this), writing to
    ``writer`` (TensorBoard); what :func:`learners.ppo.train_ppo` does for ``advantage="gae"``, with
    its arguments. Of ``callbacks``, only ``on_save`` is called (without the Trainer's arguments),
    after each checkpoint is written."""
    from tqdm.auto import tqdm
    from transformers import get_scheduler

    update = value_ppo_config(config)
    model.to(device)
    head = ValueHead(model.config.hidden_size).to(device)
    optimizer = torch.optim.AdamW([*model.parameters(), *head.parameters()], lr=config.learning_rate)
    scheduler = get_scheduler(
        LR_SCHEDULES[config.lr_schedule], optimizer, config.warmup_steps, config.max_steps
    )
    kl = KLController(update)
    reference = _reference(model, output_dir / "reference", device) if config.kl_coef > 0 else None
    step = 0
    checkpoint = last_checkpoint(output_dir) if resume else None
    if checkpoint:
        step = _load(checkpoint, model, head, optimizer, scheduler, kl, device)
    keys = list(player.task_of)
    batch_size = config.tasks_per_step * config.rollouts_per_task
    player.played = _batches_before(step, config) * batch_size  # the env seeds an unbroken run draws
    writer.add_text("hyperparameters", markdown_table(vars(config)))
    autocast = (
        torch.autocast(device, dtype=torch.bfloat16) if use_bf16(config.precision, device) else nullcontext()
    )
    bar = tqdm(total=config.max_steps, initial=step, desc="PPO (gae)", disable=not progress)
    while step < config.max_steps:
        index = _batches_before(step, config)
        rng = np.random.default_rng([config.seed, index])
        chosen = rng.choice(len(keys), config.tasks_per_step, replace=len(keys) < config.tasks_per_step)
        prompts = [keys[i] for i in chosen for _ in range(config.rollouts_per_task)]
        model.eval()
        with autocast:
            played = player.play(model, prompts, step, logprobs=False)
            samples = list(
                zip(played["prompt_ids"], played["completion_ids"], played["env_reward"], played["env_mask"],
                    strict=True)
            )  # fmt: skip
            epochs = min(config.ppo_epochs, config.max_steps - step)
            stats = ppo_step(
                model, head, optimizer, samples, dataclasses.replace(update, ppo_epochs=epochs),
                tokenizer.pad_token_id, torch.Generator().manual_seed(config.seed * 1_000_003 + index),
                reference, scheduler, kl,
            )  # fmt: skip
        before, step = step, step + epochs
        bar.update(epochs)
        if step // config.logging_steps > before // config.logging_steps or step == config.max_steps:
            _log(writer, step, stats, played, player.stats, scheduler)
        if step // config.save_steps > before // config.save_steps or step == config.max_steps:
            _save(output_dir, step, model, head, optimizer, scheduler, kl, config.save_total_limit)
            for callback in callbacks:
                callback.on_save(None, None, None)
    bar.close()
    with quiet_transformers_bars():
        model.save_pretrained(output_dir / "final")
    tokenizer.save_pretrained(output_dir / "final")
    torch.save(head.state_dict(), output_dir / "final" / "value_head.pt")
    writer.close()
    return model


def _batches_before(step: int, config: PPOConfig) -> int:
    """Batches of rollouts played before ``step`` (each serves ``ppo_epochs`` steps)."""
    return -(-step // config.ppo_epochs)


def _log(writer, step: int, stats: dict[str, float], played: dict[str, list], env_stats, scheduler) -> None:
    values = {
        "reward": fmean(played["env_reward"]),
        **stats,
        **env_stats,
        "learning_rate": scheduler.get_last_lr()[0],
    }
    for key, value in values.items():
        writer.add_scalar(f"train/{key}", value, step)


def _reference(model, folder: Path, device: str):
    """A frozen copy of the starting model for the KL penalty, saved once so a resumed run keeps it."""
    if not (folder / "config.json").exists():
        with quiet_transformers_bars():
            model.save_pretrained(folder)
    return _read_model(folder).to(device).eval().requires_grad_(False)


def _read_model(folder: Path):
    from transformers import AutoModelForCausalLM

    with quiet_transformers_bars():
        return AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)


def _save(output_dir: Path, step, model, head, optimizer, scheduler, kl: KLController, keep: int) -> None:
    """``checkpoint-<step>``, written under a temporary name and renamed, so a kill mid-write never
    leaves a checkpoint a resumed run would read half of; the oldest beyond ``keep`` are deleted."""
    final = output_dir / f"checkpoint-{step}"
    partial = output_dir / f".checkpoint-{step}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    with quiet_transformers_bars():
        model.save_pretrained(partial)
    state = {
        "head": head.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "kl_coef": kl.value,
    }
    torch.save(state, partial / STATE_FILE)
    (partial / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    older = sorted(output_dir.glob("checkpoint-*"), key=lambda path: int(path.name.split("-")[1]))
    for path in older[:-keep]:
        shutil.rmtree(path)


def _load(checkpoint: Path, model, head, optimizer, scheduler, kl: KLController, device: str) -> int:
    """Restore a checkpoint :func:`_save` wrote; return its step."""
    model.load_state_dict(_read_model(checkpoint).state_dict())
    state = torch.load(checkpoint / STATE_FILE, map_location=device, weights_only=False)
    head.load_state_dict(state["head"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    kl.value = state["kl_coef"]
    print(f"resuming PPO (gae) from {checkpoint}")
    return json.loads((checkpoint / "trainer_state.json").read_text())["global_step"]
