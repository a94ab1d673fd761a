"""The PPO learner: token streams and env masks of a rollout batch, TRL's training step, resume."""

from __future__ import annotations

import json
import re
import warnings

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

TASKS = [{"task_id": i} for i in range(0, 7500, 97)]


def calculator():
    return gym.make("toolgym/Calculator-v0")


def tiny_config(**changes) -> PPOConfig:
    values = dict(
        max_steps=4, tasks_per_step=3, rollouts_per_task=2, logging_steps=1, save_steps=2, max_new_tokens=16
    )
    return PPOConfig(**{**values, **changes})


def fake_trainer(model):
    """What the rollout function reads of TRL's trainer."""

    class Trainer:
        class accelerator:
            unwrap_model = staticmethod(lambda m: m)

        class state:
            global_step = 0

        is_world_process_zero = staticmethod(lambda: True)

    Trainer.model = model
    return Trainer


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
    assert prompts[0] == "#0 What is 0 + 0?"  # a key naming the task; the model reads the observation

    batch = player([p for p in prompts for _ in range(2)], fake_trainer(model))
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
    assert [e.step for e in episodes] == [0] * 6 + [2] * 6 and {e.run_id for e in episodes} == {""}
    tags = EventAccumulator(str(out / "tb")).Reload().Tags()["scalars"]
    for tag in ("train/reward", "train/kl", "train/loss", "train/clip_ratio/region_mean",
                "train/env/tool_call_rate", "train/rollout/tokens_per_s"):  # fmt: skip
        assert tag in tags, tags
    # No episode reached max_completion_length: TRL's completion metrics must say so.
    events = EventAccumulator(str(out / "tb")).Reload()
    assert {e.value for e in events.Scalars("train/completions/clipped_ratio")} == {0.0}
    assert min(e.value for e in events.Scalars("train/completions/mean_terminated_length")) > 0

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


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"lr_schedule": "step"},
            "lr_schedule='step' is not valid; choose one of 'constant', 'linear', 'cosine'",
        ),
        (
            {"scale_rewards": "std"},
            "scale_rewards='std' is not valid; choose one of 'group', 'batch', 'none'",
        ),
        ({"max_steps": 0}, "max_steps=0 is not valid; it must be >= 1"),
        ({"clip_epsilon": 1.5}, "clip_epsilon=1.5 is not valid; it must be <= 1"),
        ({"top_p": 0}, "top_p=0 is not valid; it must be >= 1e-06"),
        ({"precision": "fp16"}, "precision='fp16' is not valid"),
    ],
)
def test_bad_options_fail_when_the_config_is_built(changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        PPOConfig(**changes)


def test_ppo_needs_a_task(tmp_path):
    tokenizer = build_calculator_tokenizer()
    with pytest.raises(ValueError, match="at least one task"):
        train_ppo(build_model(len(tokenizer), width=16), tokenizer, calculator, [], tiny_config(), tmp_path)


class SameQuestion(gym.Wrapper):
    """Every task asks the same question (as two tasks with one prompt would); the answers differ."""

    def reset(self, **kwargs):
        _, info = super().reset(**kwargs)
        self.unwrapped.messages[0]["content"] = "What is it?"
        return "What is it?", info


def test_tasks_with_the_same_prompt_stay_apart(tmp_path):
    tokenizer = build_calculator_tokenizer()
    torch.manual_seed(0)
    tasks = [{"task_id": 3}, {"task_id": 4}]
    player = EnvRollouts(
        lambda: SameQuestion(calculator()), tasks, tokenizer, tiny_config(), tmp_path / "rollouts.jsonl"
    )
    prompts = [row["prompt"] for row in player.dataset()]
    assert len(prompts) == 2 and [player.task_of[p] for p in prompts] == tasks
    player([prompts[1], prompts[1], prompts[0]], fake_trainer(build_model(len(tokenizer), width=16)))
    assert [e.task_id for e in read_trajectories(tmp_path / "rollouts.jsonl")] == [4, 4, 3]


def test_episodes_longer_than_the_limit_are_masked_whole():
    tokenizer = build_calculator_tokenizer()
    torch.manual_seed(0)
    config = tiny_config(max_completion_length=6)
    player = EnvRollouts(calculator, TASKS[:4], tokenizer, config)
    prompts = [row["prompt"] for row in player.dataset()]
    batch = player(prompts * 2, fake_trainer(build_model(len(tokenizer), width=16)))
    assert any(player.cut), "the test needs episodes longer than 6 tokens"
    for ids, mask, logps, cut in zip(
        batch["completion_ids"], batch["env_mask"], batch["logprobs"], player.cut, strict=True
    ):
        assert len(ids) == len(mask) <= 6
        if cut:
            assert set(mask) == {0} and set(logps) == {0.0}  # nothing of a cut episode is trained
    assert player.stats["rollout/cut_ratio"] == sum(player.cut) / len(player.cut)


def test_ppo_run_shows_no_library_warnings(tmp_path):
    tokenizer = build_calculator_tokenizer()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train_ppo(
            build_model(len(tokenizer), width=16), tokenizer, calculator, TASKS,
            tiny_config(max_steps=1), tmp_path, device="cpu", progress=False,
        )  # fmt: skip
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "gradient_checkpointing" in m or "rollout_func" in m], messages
