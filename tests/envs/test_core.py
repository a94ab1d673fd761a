"""The text-env contract on every registered id: env checker, vector envs, malformed input."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AsyncVectorEnv, SyncVectorEnv

import envs
from envs.core import MAX_OBSERVATION_CHARS


@pytest.mark.parametrize("env_id", envs.ENV_IDS)
def test_check_env_passes_on_every_registered_id(env_id):
    env = gym.make(env_id)
    check_env(env.unwrapped, skip_render_check=False)


def test_in_weight_variant_passes_check_env():
    check_env(gym.make("toolgym/PeopleMemory-v0", mode="in_weight", n_people=10).unwrapped)


def test_module_prefix_make():
    env = gym.make("envs:toolgym/PeopleMemory-v0", n_people=10)
    observation, info = env.reset(seed=0)
    assert observation.endswith("?") and info["role"] == "user"


def test_messages_and_render_hold_the_conversation():
    env = gym.make("toolgym/PeopleMemory-v0", n_people=10, render_mode="ansi")
    env.reset(seed=3)
    for turn in env.unwrapped.demonstration():
        env.step(turn)
    roles = [m["role"] for m in env.unwrapped.messages]
    assert roles == ["user", "assistant", "tool", "assistant"]
    assert env.unwrapped.messages[2]["name"] == "database"
    assert "[tool/database]" in env.render()


@pytest.mark.parametrize(
    "action", [b"\x00\xff", 42, None, "x" * 1_000_000, "\ud800", "```sql\n\U0001f600\n```"]
)
def test_malformed_actions_are_observations(action):
    env = gym.make("toolgym/PeopleMemory-v0", n_people=10)
    env.reset(seed=0)
    observation, _reward, _terminated, _truncated, _ = env.step(action)
    assert env.observation_space.contains(observation)
    assert len(observation) <= MAX_OBSERVATION_CHARS


def test_step_before_reset_is_an_error():
    env = gym.make("toolgym/PeopleMemory-v0", n_people=10, disable_env_checker=True).unwrapped
    with pytest.raises(gym.error.ResetNeeded):
        env.step("hello")


# Gymnasium's shared memory decodes Text observations once (a snapshot): text envs need shared_memory=False.
@pytest.mark.parametrize("make_vector", [SyncVectorEnv, lambda fns: AsyncVectorEnv(fns, shared_memory=False)])
def test_vector_envs_play_the_oracle(make_vector):
    envs_ = make_vector([lambda: gym.make("toolgym/PeopleMemory-v0", n_people=50)] * 3)
    observations, _ = envs_.reset(seed=1)
    assert len(observations) == 3 and all(o.endswith("?") for o in observations)
    demonstrations = envs_.call("demonstration")
    observations, rewards, *_ = envs_.step(tuple(d[0] for d in demonstrations))
    assert np.all(rewards == 0)
    _, rewards, terminated, *_ = envs_.step(tuple(d[1] for d in demonstrations))
    assert np.all(rewards == 1.0) and np.all(terminated)
    envs_.close()
