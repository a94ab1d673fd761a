"""Causal-LM training on plain utterances: the CLM steps of TnD and the teacher's pre-training.

Each utterance is one sequence, ``eos`` before and after (``agents.tokenizers.teacher_demo``),
right-padded in a batch, the loss on every real token after the first. Written as a plain loop
rather than through ``transformers.Trainer`` because TnD interleaves these steps with PPO steps
on the same model, each with its own optimiser, which a ``Trainer`` cannot share.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch


def log_spaced_steps(max_steps: int, points: int) -> list[int]:
    """About ``points`` steps from 1 to ``max_steps``, evenly spaced in log10 (distinct integers).

    TnD saves its checkpoints "every 2 steps below 20, every 5 below 100, ... every 10k above
    10k": denser early, where words are acquired; even spacing in log steps is that schedule's
    smooth form, and its points are where the curves are read.
    """
    if max_steps < 1 or points < 1:
        raise ValueError(f"max_steps={max_steps} and points={points} must be >= 1")
    steps = np.unique(np.round(np.logspace(0, math.log10(max_steps), points)).astype(int))
    return [int(s) for s in steps]


def clm_batch(sequences: Sequence[Sequence[int]], pad_id: int, device) -> dict[str, torch.Tensor]:
    """Input ids, attention mask and labels (-100 on padding) of right-padded sequences."""
    width = max(len(s) for s in sequences)
    input_ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, ids in enumerate(sequences):
        input_ids[row, : len(ids)] = torch.tensor(list(ids))
        attention[row, : len(ids)] = 1
    labels = input_ids.masked_fill(attention == 0, -100)
    return {
        "input_ids": input_ids.to(device),
        "attention_mask": attention.to(device),
        "labels": labels.to(device),
    }


def clm_update(model, optimizer, scheduler, sequences, pad_id: int, max_grad_norm: float = 1.0) -> float:
    """One optimiser step of causal-LM loss on ``sequences``; returns the loss."""
    model.train()
    loss = model(**clm_batch(sequences, pad_id, next(model.parameters()).device)).loss
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    return loss.item()


def warmup_schedule(optimizer, warmup_steps: int, done: int = 0):
    """A linear warm-up to the peak rate, then constant (the paper's decay over 500k steps is
    near constant over the steps a run lasts); ``done``: steps a resumed run already took."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + done + 1) / max(1, warmup_steps))
    )


def train_clm(
    model,
    tokenizer,
    sequences: Sequence[Sequence[int]],
    *,
    max_steps: int,
    batch_size: int,
    learning_rate: float,
    warmup_steps: int,
    save_at: Sequence[int],
    folder: str | os.PathLike,
    seed: int = 0,
    progress: bool = True,
):
    """Train ``model`` by CLM on ``sequences``, saving ``folder/checkpoint-<step>`` at each of ``save_at``
    and ``folder/final`` at the end; checkpoints already saved are kept and a killed run
    restarts from the last one. Returns the model."""
    from tqdm.auto import tqdm

    from agents.model import quiet_transformers_bars

    folder = Path(folder)
    saved = sorted(
        int(p.name.split("-")[1]) for p in folder.glob("checkpoint-*") if (p / "config.json").exists()
    )
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.0)
    start = 0
    if saved:  # resume: the weights of the last checkpoint, a fresh optimiser past its warm-up
        start = saved[-1]
        with quiet_transformers_bars():
            model.load_state_dict(type(model).from_pretrained(folder / f"checkpoint-{start}").state_dict())
        rng = np.random.default_rng([seed, start])
    scheduler = warmup_schedule(optimizer, warmup_steps, done=start)
    save_at = set(save_at)
    bar = tqdm(
        range(start + 1, max_steps + 1),
        desc="teacher CLM",
        disable=not progress,
        initial=start,
        total=max_steps,
    )
    for step in bar:
        rows = rng.integers(len(sequences), size=batch_size)
        loss = clm_update(model, optimizer, scheduler, [sequences[i] for i in rows], tokenizer.pad_token_id)
        bar.set_postfix(loss=f"{loss:.3f}")
        if step in save_at:
            with quiet_transformers_bars():
                model.save_pretrained(folder / f"checkpoint-{step}")
    with quiet_transformers_bars():
        model.save_pretrained(folder / "final")
    tokenizer.save_pretrained(folder / "final")
    return model
