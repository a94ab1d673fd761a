"""The PPO learner: token streams and env masks of a rollout batch, TRL's training step, resume."""

from __future__ import annotations

import json
import os

import gymnasium as gym
import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import envs  # noqa: F401
from agents.model import build_model
from agents.oracle import OracleAgent
from agents.rollout import rollout
from agents.tokenizers import attach_tokens
from agents.tokenizers.calculator import build_calculator_tokenizer
from envs.trajectory import read_trajectories
from learners.ppo import EnvRollouts, split_prompt, train_ppo
from learners.ppo_config import PPOConfig

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
TASKS = [{"task_id": i} for i in range(0, 7500, 97)]


def calculator():
    return gym.make("toolgym/Calculator-v0")


def tiny_config(**changes) -> PPOConfig:
    values = dict(
        max_steps=4, tasks_per_step=3, rollouts_per_task=2, logging_steps=1, save_steps=2, max_new_tokens=16
    )
    return PPOConfig(**{**values, **changes})


def test_env_mask_is_zero_exactly_on_the_tool_output():
    tokenizer = build_calculator_tokenizer()
    episodes = attach_tokens(tokenizer, rollout(calculator, OracleAgent(), tasks=TASKS[:8]))
    for episode in episodes:
        prompt, completion, mask = split_prompt(tokenizer, episode)
        assert tokenizer.decode(prompt) == episode.messages[0]["content"] + "\n\n"
        model_text = "".join(tokenizer.decode([t]) for t, m in zip(completion, mask, strict=True) if m)
        env_text = "".join(tokenizer.decode([t]) for t, m in zip(completion, mask, strict=True) if not m)
        turns = [m["content"] for m in episode.messages if m["role"] == "assistant"]
        tool = [m["content"] for m in episode.messages if m["role"] == "tool"]
        assert model_text == "".join(turns)
        assert env_text == tool[0] + "\n\n"  # the answer, "<response>", and the blank line after


def test_rollout_func_returns_one_masked_stream_per_prompt():
    tokenizer = build_calculator_tokenizer()
    torch.manual_seed(0)  # an unseeded random model sometimes ends every episode on its first token
    model = build_model(len(tokenizer), width=16)
    player = EnvRollouts(calculator, TASKS[:4], tokenizer, tiny_config())
    prompts = [row["prompt"] for row in player.dataset()]
    assert prompts[0] == "What is 0 + 0?"

    class Trainer:  # what the rollout function reads of TRL's trainer
        class accelerator:
            unwrap_model = staticmethod(lambda m: m)

        class state:
            global_step = 0

        is_world_process_zero = staticmethod(lambda: True)

    Trainer.model = model
    batch = player([p for p in prompts for _ in range(2)], Trainer)
    assert len(batch["completion_ids"]) == len(batch["env_mask"]) == len(batch["logprobs"]) == 8
    for ids, mask, logps in zip(batch["completion_ids"], batch["env_mask"], batch["logprobs"], strict=True):
        assert len(ids) == len(mask) == len(logps) > 0
        assert all(lp < 0 for lp, m in zip(logps, mask, strict=True) if m)  # real log-probabilities
    assert batch["env_reward"] == [0.0] * 8  # an untrained model answers nothing right
    assert 0 <= player.stats["env/tool_call_rate"] <= 1


def test_ppo_trains_logs_to_tensorboard_and_resumes(tmp_path):
    tokenizer = build_calculator_tokenizer()
    out = tmp_path / "ppo"
    config = tiny_config(kl_coef=0.05, lr_schedule="linear")
    train_ppo(
        build_model(len(tokenizer), width=16), tokenizer, calculator, TASKS, config, out,
        rollout_path=tmp_path / "rollouts.jsonl", device="cpu", progress=False,
    )  # fmt: skip
    assert (out / "final" / "config.json").exists() and (out / "checkpoint-4").exists()
    episodes = list(read_trajectories(tmp_path / "rollouts.jsonl"))
    # A batch of rollouts serves ppo_epochs=2 steps: steps 0 and 2 played 6 episodes each.
    assert len(episodes) == 12 and all(e.token_ids and e.loss_mask for e in episodes)
    tags = EventAccumulator(str(out / "tb")).Reload().Tags()["scalars"]
    for tag in ("train/reward", "train/kl", "train/loss", "train/clip_ratio/region_mean",
                "train/env/tool_call_rate", "train/rollout/tokens_per_s"):  # fmt: skip
        assert tag in tags, tags

    # Killed after step 2: the resumed run plays only the last batch.
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    rates = [entry["learning_rate"] for entry in state["log_history"] if "learning_rate" in entry]
    assert len(rates) == 4 and rates == sorted(rates, reverse=True) and rates[-1] < rates[0]  # linear decay
    import shutil

    shutil.rmtree(out / "checkpoint-4")
    shutil.rmtree(out / "final")
    train_ppo(
        build_model(len(tokenizer), width=16), tokenizer, calculator, TASKS, config, out,
        rollout_path=tmp_path / "resumed.jsonl", resume=True, device="cpu", progress=False,
    )  # fmt: skip
    assert len(list(read_trajectories(tmp_path / "resumed.jsonl"))) == 6
    assert (out / "final" / "config.json").exists()


def test_bad_options_are_clear_errors(tmp_path):
    tokenizer = build_calculator_tokenizer()
    model = build_model(len(tokenizer), width=16)
    with pytest.raises(ValueError, match="scale_rewards='std' is not valid"):
        train_ppo(model, tokenizer, calculator, TASKS, tiny_config(scale_rewards="std"), tmp_path)
    with pytest.raises(ValueError, match="lr_schedule='step' is not valid; choose one of constant, linear"):
        train_ppo(model, tokenizer, calculator, TASKS, tiny_config(lr_schedule="step"), tmp_path)
    with pytest.raises(ValueError, match="at least one task"):
        train_ppo(model, tokenizer, calculator, [], tiny_config(), tmp_path)
