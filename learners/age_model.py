"""TnD's reward model: a regression of the training step ("age") of the model that wrote a text.

Stage 2 of TnD: each of the teacher's checkpoints continues the same prompts; a sequence
classifier with one output (``AutoModelForSequenceClassification(num_labels=1)``, the paper's
1-layer regression head on a LM) learns the natural log of the checkpoint's step from the text,
by mean squared error. Its fit is the Pearson correlation of predicted and true log steps on
pairs from prompts it was not trained on. The published code regresses ``log2``; the paper
writes ``log``; the natural log is used here so that ``R(S) - log n`` compares like with like.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch


def build_age_model(tokenizer, width: int, layers: int, heads: int):
    """A from-scratch Llama with a one-output regression head over ``tokenizer``'s vocabulary."""
    from transformers import AutoModelForSequenceClassification, LlamaConfig

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=width,
        intermediate_size=4 * width,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=256,
        num_labels=1,
        problem_type="regression",
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    return AutoModelForSequenceClassification.from_config(config)


def encode_text(tokenizer, text: str, max_length: int = 128) -> list[int]:
    eos = tokenizer.eos_token_id
    return [eos, *tokenizer(text, add_special_tokens=False).input_ids[: max_length - 2], eos]


def _batch(tokenizer, texts: Sequence[str], device) -> dict[str, torch.Tensor]:
    from learners.clm import clm_batch

    batch = clm_batch([encode_text(tokenizer, t) for t in texts], tokenizer.pad_token_id, device)
    return {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}


def predict(model, tokenizer, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
    """The predicted log step of each text."""
    was_training = model.training
    model.eval()
    values = []
    device = next(model.parameters()).device
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            logits = model(**_batch(tokenizer, texts[start : start + batch_size], device)).logits
            values.append(logits[:, 0].float().cpu().numpy())
    model.train(was_training)
    return np.concatenate(values) if values else np.zeros(0)


def train_age_model(
    model,
    tokenizer,
    texts: Sequence[str],
    log_steps: Sequence[float],
    *,
    max_steps: int,
    batch_size: int,
    learning_rate: float,
    seed: int = 0,
    progress: bool = True,
):
    """Fit ``model`` to predict ``log_steps`` from ``texts`` (MSE, AdamW); returns the model."""
    from tqdm.auto import tqdm

    rng = np.random.default_rng(seed)
    targets = torch.tensor(np.asarray(log_steps, dtype=np.float32))
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.0)
    device = next(model.parameters()).device
    model.train()
    bar = tqdm(range(max_steps), desc="reward model", disable=not progress)
    for _ in bar:
        rows = rng.integers(len(texts), size=batch_size)
        predicted = model(**_batch(tokenizer, [texts[i] for i in rows], device)).logits[:, 0].float()
        loss = torch.nn.functional.mse_loss(predicted, targets[rows].to(device))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        bar.set_postfix(mse=f"{loss.item():.3f}")
    return model


def save_age_model(model, tokenizer, folder: str | os.PathLike) -> None:
    from agents.model import quiet_transformers_bars

    with quiet_transformers_bars():
        model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def load_age_model(folder: str | os.PathLike):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = Path(folder)
    if not (folder / "config.json").exists():
        raise FileNotFoundError(f"no reward model at {folder} (config.json missing)")
    from agents.model import quiet_transformers_bars

    with quiet_transformers_bars():
        model = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True)
    return model, AutoTokenizer.from_pretrained(folder, local_files_only=True)


def age_scorer(model, tokenizer, cache_size: int = 65536):
    """The env's ``reward_model``: text -> predicted log step, remembered per text (demonstrations
    come back often; the model is frozen)."""

    @lru_cache(maxsize=cache_size)
    def score(text: str) -> float:
        return float(predict(model, tokenizer, [text])[0])

    return score
