"""Oracle, random baseline and rollout through vector envs."""

from __future__ import annotations

import gymnasium as gym
import pytest

import envs  # noqa: F401
from agents.oracle import OracleAgent
from agents.random_agent import RandomAgent
from agents.rollout import rollout
from envs.trajectory import read_trajectories


@pytest.mark.parametrize("mode", ["in_tool", "in_weight"])
@pytest.mark.parametrize("query_language", ["find", "sql"])
@pytest.mark.parametrize("split", ["train", "ood"])
def test_oracle_solves_every_task(mode, query_language, split):
    n_people = 1000 if (mode, query_language) == ("in_tool", "find") else 150

    def make_env():
        return gym.make(
            "toolgym/PeopleMemory-v0",
            n_people=n_people,
            mode=mode,
            split=split,
            query_language=query_language,
        )

    tasks = [{"task_id": i} for i in range(4 * n_people)]
    trajectories = rollout(make_env, OracleAgent(), tasks=tasks, num_envs=16)
    assert [t.task_id for t in trajectories] == list(range(4 * n_people))
    assert all(t.reward == 1.0 and t.terminated for t in trajectories)


def test_random_baseline_sits_at_chance():
    def make_env():
        return gym.make("toolgym/PeopleMemory-v0", n_people=500)

    trajectories = rollout(make_env, RandomAgent(), 2000, num_envs=16)
    accuracy = sum(t.reward for t in trajectories) / len(trajectories)
    chance = (1 / 7 + 1 / 213 + 1 / 100 + 1 / (28 * 12 * 51)) / 4
    assert abs(accuracy - chance) < 0.02
    assert all(t.metrics["tool_calls"] == 0 for t in trajectories)


def test_rollout_is_reproducible_whatever_the_batch(tmp_path):
    def make_env():
        return gym.make("toolgym/PeopleMemory-v0", n_people=100)

    one = rollout(make_env, OracleAgent(), 30, num_envs=1, seed=5)
    many = rollout(
        make_env, OracleAgent(), 30, num_envs=7, seed=5, vectorization="async", path=tmp_path / "t.jsonl"
    )
    assert [t.task_id for t in one] == [t.task_id for t in many]
    assert [t.messages for t in one] == [t.messages for t in many]
    assert sorted(t.task_id for t in read_trajectories(tmp_path / "t.jsonl")) == sorted(
        t.task_id for t in one
    )


def test_rollout_rejects_bad_arguments():
    def make_env():
        return gym.make("toolgym/PeopleMemory-v0", n_people=10)

    with pytest.raises(ValueError, match="vectorization='threads'"):
        rollout(make_env, OracleAgent(), 3, vectorization="threads")
    with pytest.raises(ValueError, match="n_episodes"):
        rollout(make_env, OracleAgent())


def test_records_carry_scores_tools_tags_and_demonstrations_only_when_asked(tmp_path):
    def make_env():
        return gym.make("toolgym/Calculator-v0")

    plain = rollout(
        make_env, OracleAgent(), 2, path=tmp_path / "t.jsonl", step=7, round=2, tags={"split": "eval"}
    )
    for record in [*plain, *read_trajectories(tmp_path / "t.jsonl")]:
        assert (record.step, record.round, record.tags) == (7, 2, {"split": "eval"})
        assert record.scores == {"correct": 1.0} and record.demonstration is None
        assert record.tools[0]["function"]["name"] == "SimpleCalculatorTool"
        assert record.messages[1]["tool_calls"][0]["function"]["arguments"]["expression"]
    (asked,) = rollout(make_env, OracleAgent(), 1, record_demonstrations=True)
    assert asked.demonstration == [m["content"] for m in asked.messages if m["role"] == "assistant"]
