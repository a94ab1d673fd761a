"""Causal-LM training on utterances: log-spaced checkpoints, and a killed teacher resumes."""

from __future__ import annotations

import shutil
import warnings

import pytest
import torch

from agents.model import build_model
from agents.tokenizers.teacher_demo import build_teacher_demo_tokenizer, encode_sentence
from learners.clm import log_spaced_steps, train_clm

SENTENCES = ["look at the ball !", "the doggy is big .", "more juice please .", "where is the kitty ?"]


def test_log_spaced_steps_are_distinct_sorted_and_end_at_the_last_step():
    steps = log_spaced_steps(3000, 30)
    assert steps[0] == 1 and steps[-1] == 3000 and steps == sorted(set(steps))
    assert steps[1] - steps[0] < steps[-1] - steps[-2]  # denser early
    with pytest.raises(ValueError):
        log_spaced_steps(0, 5)


def test_training_saves_the_checkpoints_and_a_killed_run_resumes_from_the_last(tmp_path):
    tokenizer = build_teacher_demo_tokenizer(SENTENCES)
    sequences = [encode_sentence(tokenizer, s) for s in SENTENCES]
    torch.manual_seed(0)
    model = build_model(len(tokenizer), layers=1, heads=2, width=16, eos_token_id=tokenizer.eos_token_id)
    options = dict(
        max_steps=6, batch_size=2, learning_rate=1e-2, warmup_steps=2, save_at=[2, 4], progress=False
    )
    train_clm(model, tokenizer, sequences, folder=tmp_path, **options)
    assert sorted(p.name for p in tmp_path.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    assert (tmp_path / "final" / "config.json").exists()
    shutil.rmtree(tmp_path / "final")  # killed after step 4
    shutil.rmtree(tmp_path / "checkpoint-4")
    stamp = (tmp_path / "checkpoint-2" / "model.safetensors").stat().st_mtime_ns
    resumed = build_model(len(tokenizer), layers=1, heads=2, width=16, eos_token_id=tokenizer.eos_token_id)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no scheduler-order warning on resume
        train_clm(resumed, tokenizer, sequences, folder=tmp_path, **options)
    assert (tmp_path / "checkpoint-4" / "config.json").exists() and (
        tmp_path / "final" / "config.json"
    ).exists()
    assert (tmp_path / "checkpoint-2" / "model.safetensors").stat().st_mtime_ns == stamp  # not redone
