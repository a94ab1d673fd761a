"""The cached from-scratch pre-training: trained once per settings, resumed when killed, keyed stably."""

from __future__ import annotations

import json
import shutil

import gymnasium as gym
import torch

import envs  # noqa: F401
from agents.oracle import OracleAgent
from agents.rollout import rollout
from agents.tokenizers.memory import build_memory_tokenizer
from learners.pretrain import pretrain_key, pretrained_model
from learners.sft_config import SFTConfig

SFT = SFTConfig(
    learning_rate=5e-3, batch_size=4, max_steps=8, warmup_steps=1, save_steps=4, logging_steps=4,
    assistant_only_loss=False,
)  # fmt: skip
SETTINGS = {"corpus": {"people": 4}, "width": 8}


class Corpus:
    """The training conversations, counting how often they were asked for."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        make_env = lambda: gym.make("toolgym/PeopleMemory-v0", n_people=4)  # noqa: E731
        return rollout(make_env, OracleAgent(), tasks=[{"task_id": i} for i in range(16)], num_envs=8)


def pretrain(cache, corpus):
    torch.manual_seed(0)
    return pretrained_model(
        "toy", SETTINGS, corpus, build_memory_tokenizer, layers=1, heads=2, width=8, sft=SFT,
        cache=cache, device="cpu", progress=False,
    )  # fmt: skip


def test_trained_once_then_read_from_the_cache(tmp_path):
    corpus = Corpus()
    model, tokenizer, path = pretrain(tmp_path, corpus)
    assert path == tmp_path / f"toy-{pretrain_key(SETTINGS)}" / "final"
    assert json.loads((path.parent / "pretrain.json").read_text()) == SETTINGS
    again, _, same = pretrain(tmp_path, corpus)
    assert same == path and corpus.calls == 1  # the second call trained nothing
    for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert len(tokenizer) == model.config.vocab_size


def test_a_killed_pretraining_resumes_to_the_same_model(tmp_path):
    whole, _, _ = pretrain(tmp_path / "whole", Corpus())
    _, _, path = pretrain(tmp_path / "killed", Corpus())
    shutil.rmtree(path)  # killed after its step-4 checkpoint
    shutil.rmtree(path.parent / "checkpoint-8")
    resumed, _, _ = pretrain(tmp_path / "killed", Corpus())
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.allclose(a, b, atol=1e-6), name


def test_the_key_depends_on_every_setting_not_on_their_order():
    assert pretrain_key({"a": 1, "b": [2, 3]}) == pretrain_key({"b": [2, 3], "a": 1})
    assert pretrain_key({"a": 1, "b": [2, 3]}) != pretrain_key({"a": 1, "b": [2, 4]})


def test_calculator_caches_keep_their_key():
    # Models pre-trained before the step moved to learners.pretrain are found again: same folder.
    from scenarios.calculator.study import _pretrain_settings, cpu_profile

    assert pretrain_key(_pretrain_settings(cpu_profile())) == "0727003e8855"


def test_a_later_option_at_its_default_keeps_old_keys_and_changes_them_when_set():
    old = {"sft": {"learning_rate": 1e-3}}
    assert pretrain_key({"sft": {"learning_rate": 1e-3, "decay_norms": False}}) == pretrain_key(old)
    assert pretrain_key({"sft": {"learning_rate": 1e-3, "decay_norms": True}}) != pretrain_key(old)
