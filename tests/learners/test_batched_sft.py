"""Batched SFT: a stack of models trains as the same models trained one by one would."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import set_seed

from agents.model import build_model
from agents.oracle import OracleAgent
from agents.rollout import rollout
from agents.tokenizers.memory import build_memory_tokenizer
from learners import batched_sft
from learners.batched_sft import StackedLlama, train_sft_batched
from learners.sft import train_sft
from learners.sft_config import SFTConfig
from scenarios.memory.study import MemoryConfig, make_env, train_tasks

TOKENIZER = build_memory_tokenizer()


def people_data(n_people: int, seed: int):
    config = MemoryConfig(n_people=n_people, data_seed=seed, ood_questions=0)
    return rollout(make_env(config, "in_weight"), OracleAgent(), tasks=train_tasks(config), num_envs=4)


def fresh_model(width: int = 8, seed: int = 0, **options):
    set_seed(seed)
    return build_model(len(TOKENIZER), 2, 2, width, **options)


def config(**changes) -> SFTConfig:
    values = dict(
        learning_rate=5e-3, batch_size=4, max_steps=9, warmup_steps=2, weight_decay=0.1,
        max_grad_norm=0.5, logging_steps=3, save_steps=3,
    )  # fmt: skip
    return SFTConfig(**{**values, **changes})


def largest_difference(a, b) -> float:
    return max(
        (x - y).abs().max().item()
        for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    )


ITL_MODEL = dict(norm_eps=1e-5, rope_angle_scale=2 * math.pi, init="itl")  # itl's choices


@pytest.mark.parametrize("options", [{}, {"tie_embeddings": True}, ITL_MODEL], ids=["untied", "tied", "itl"])
def test_the_stacks_loss_is_transformers_llama_loss_for_each_model(options):
    models = [fresh_model(seed=s, **options) for s in range(3)]
    ids = torch.randint(0, len(TOKENIZER) - 1, (3, 2, 7))
    labels = ids.clone()
    labels[:, :, :3] = -100
    labels[1, 1, :] = -100  # a row without labels, as a short batch's padding rows
    stack = StackedLlama(models, "cpu")
    expected = torch.stack([m(input_ids=ids[i], labels=labels[i]).loss for i, m in enumerate(models)])
    assert torch.allclose(stack.losses(ids, labels), expected, atol=1e-5)


@pytest.mark.parametrize("decay_norms", [False, True])
def test_training_together_matches_training_one_by_one(tmp_path, decay_norms):
    # Different data sizes (8 and 12 questions) in batches of 5: each model has its own epochs,
    # batch order and short last batches.
    datasets = [people_data(2, seed=0), people_data(3, seed=1)]
    sft = config(batch_size=5, decay_norms=decay_norms)
    alone = [train_sft(fresh_model(), TOKENIZER, d, sft, tmp_path / f"alone{i}", device="cpu", progress=False)
             for i, d in enumerate(datasets)]  # fmt: skip
    outs = [tmp_path / "together0", tmp_path / "together1"]
    together = train_sft_batched(
        [fresh_model(), fresh_model()], TOKENIZER, datasets, sft, outs, progress=False
    )
    for one, stacked in zip(alone, together, strict=True):
        assert largest_difference(one, stacked) < 1e-5
        assert largest_difference(one, fresh_model()) > 1e-3  # it did train
    if decay_norms:  # the norms' scales decayed: they differ from a run that spares them
        spared = train_sft(fresh_model(), TOKENIZER, datasets[0], config(batch_size=5), tmp_path / "spared")
        assert not torch.allclose(spared.model.norm.weight, alone[0].model.norm.weight, atol=1e-6)
    for out in outs:  # each model has its own final folder, checkpoints and TensorBoard
        assert (out / "final" / "config.json").exists() and any((out / "tb").iterdir())
        assert sorted(p.name for p in out.glob("batched-checkpoint-*")) == [
            "batched-checkpoint-3.pt", "batched-checkpoint-6.pt"
        ]  # fmt: skip


def test_a_killed_run_resumes_from_its_last_checkpoint(tmp_path, monkeypatch):
    datasets = [people_data(2, seed=0), people_data(2, seed=2)]
    sft = config()
    whole = train_sft_batched(
        [fresh_model(), fresh_model()],
        TOKENIZER,
        datasets,
        sft,
        [tmp_path / "w0", tmp_path / "w1"],
        progress=False,
    )
    real, calls = batched_sft.stack_batches, []

    def killed_at_step_8(*args, **kwargs):
        calls.append(1)
        if len(calls) == 8:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    outs = [tmp_path / "k0", tmp_path / "k1"]
    monkeypatch.setattr(batched_sft, "stack_batches", killed_at_step_8)
    with pytest.raises(KeyboardInterrupt):
        train_sft_batched([fresh_model(), fresh_model()], TOKENIZER, datasets, sft, outs, progress=False)
    monkeypatch.setattr(batched_sft, "stack_batches", real)
    assert not (outs[0] / "final").exists()
    resumed = train_sft_batched(
        [fresh_model(seed=5), fresh_model(seed=5)],
        TOKENIZER,
        datasets,
        sft,
        outs,
        resume=True,
        progress=False,
    )
    for a, b in zip(whole, resumed, strict=True):
        assert largest_difference(a, b) < 1e-5


def test_models_that_cannot_share_a_stack_are_refused(tmp_path):
    data = [people_data(2, seed=0)] * 2
    outs = [tmp_path / "a", tmp_path / "b"]
    with pytest.raises(ValueError, match="same shape"):
        train_sft_batched([fresh_model(8), fresh_model(16)], TOKENIZER, data, config(), outs)
    with pytest.raises(ValueError, match="not one each"):
        train_sft_batched([fresh_model()], TOKENIZER, data, config(), outs)
    with pytest.raises(ValueError, match="eval_steps"):
        train_sft_batched([fresh_model()] * 2, TOKENIZER, data, config(eval_steps=3), outs)
