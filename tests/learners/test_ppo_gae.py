"""The PPO learner with ``advantage="gae"``: value-head PPO on calculator rollouts, logs, resume."""

from __future__ import annotations

import json
import shutil

import gymnasium as gym
import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import envs  # noqa: F401
from agents.model import build_model
from agents.tokenizers.calculator import build_calculator_tokenizer
from envs.trajectory import read_trajectories
from learners.ppo import train_ppo
from learners.ppo_config import PPOConfig
from learners.ppo_gae import value_ppo_config

TASKS = [{"task_id": i} for i in range(0, 7500, 97)]


def calculator():
    return gym.make("toolgym/Calculator-v0")


def gae_config(**changes) -> PPOConfig:
    values = dict(
        advantage="gae", max_steps=4, tasks_per_step=3, rollouts_per_task=2, logging_steps=1, save_steps=2,
        max_new_tokens=16,
    )  # fmt: skip
    return PPOConfig(**{**values, **changes})


def _model(tokenizer):
    torch.manual_seed(0)
    return build_model(len(tokenizer), width=16)


def test_gae_ppo_trains_logs_checkpoints_and_resumes(tmp_path):
    tokenizer = build_calculator_tokenizer()
    out = tmp_path / "ppo"
    config = gae_config(kl_coef=0.05, kl_target=1.0, lr_schedule="linear")
    start = {k: v.clone() for k, v in _model(tokenizer).state_dict().items()}
    trained = train_ppo(
        _model(tokenizer), tokenizer, calculator, TASKS, config, out,
        rollout_path=tmp_path / "rollouts.jsonl", device="cpu", progress=False,
    )  # fmt: skip
    assert any(not torch.equal(start[k], v) for k, v in trained.state_dict().items())
    assert (out / "final" / "config.json").exists() and (out / "final" / "value_head.pt").exists()
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    assert (out / "reference" / "config.json").exists()  # the KL penalty's starting model
    episodes = list(read_trajectories(tmp_path / "rollouts.jsonl"))
    # A batch of rollouts serves ppo_epochs=2 steps: steps 0 and 2 played 6 episodes each.
    assert [e.step for e in episodes] == [0] * 6 + [2] * 6
    assert all(e.token_ids and e.loss_mask for e in episodes)
    events = EventAccumulator(str(out / "tb")).Reload()
    tags = events.Tags()["scalars"]
    for tag in ("train/reward", "train/policy_loss", "train/value_loss", "train/clipfrac", "train/kl",
                "train/kl_coef", "train/learning_rate", "train/env/tool_call_rate"):  # fmt: skip
        assert tag in tags, tags
    rates = [e.value for e in events.Scalars("train/learning_rate")]
    assert rates == sorted(rates, reverse=True) and rates[-1] < rates[0]  # linear decay
    assert next(e.value for e in events.Scalars("train/kl_coef")) == pytest.approx(0.05)

    # Killed after step 2: the resumed run plays only the last batch, from checkpoint-2's state.
    saved = torch.load(out / "checkpoint-2" / "gae_ppo.pt", weights_only=False)
    shutil.rmtree(out / "checkpoint-4")
    shutil.rmtree(out / "final")
    train_ppo(
        _model(tokenizer), tokenizer, calculator, TASKS, config, out,
        rollout_path=tmp_path / "resumed.jsonl", resume=True, device="cpu", progress=False,
    )  # fmt: skip
    resumed = list(read_trajectories(tmp_path / "resumed.jsonl"))
    assert [e.step for e in resumed] == [2] * 6
    assert [e.task_id for e in resumed] == [e.task_id for e in episodes[6:]]  # the same tasks drawn
    assert json.loads((out / "checkpoint-4" / "trainer_state.json").read_text()) == {"global_step": 4}
    assert saved["scheduler"]["last_epoch"] == 2


def test_the_update_takes_the_learners_settings():
    update = value_ppo_config(gae_config(clip_epsilon=0.1, vf_coef=0.5, gae_lambda=0.9, ppo_epochs=3))
    assert (update.cliprange, update.vf_coef, update.lam, update.ppo_epochs) == (0.1, 0.5, 0.9, 3)
    assert update.mini_batch_size == 6  # one full-batch update per epoch, as the group learner


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"advantage": "critic"}, "advantage='critic' is not valid; choose one of 'group', 'gae'"),
        ({"gae_lambda": 1.5}, "gae_lambda=1.5 is not valid; it must be <= 1"),
        ({"vf_coef": -1.0}, "vf_coef=-1.0 is not valid"),
        ({"kl_target": 6.0}, "kl_target=6.0 needs advantage='gae' and a starting kl_coef > 0"),
    ],
)
def test_bad_options_name_the_key(changes, message):
    with pytest.raises(ValueError, match=message):
        PPOConfig(**changes)
