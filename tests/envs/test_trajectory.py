"""The trajectory file: recorded per episode, read back, robust to a torn last line."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest

import envs  # noqa: F401
from envs.trajectory import SCHEMA, Trajectory, read_trajectories, write_trajectory
from envs.wrappers import RecordTrajectories


def play_oracle(env, episodes: int) -> None:
    for episode in range(episodes):
        env.reset(seed=episode)
        for turn in env.unwrapped.demonstration():
            env.step(turn)


def test_wrapper_writes_one_flushed_line_per_episode(tmp_path):
    path = tmp_path / "run" / "trajectories.jsonl"
    env = RecordTrajectories(
        gym.make("toolgym/PeopleMemory-v0", n_people=20),
        path=path,
        run_id="r1",
        agent="oracle",
        record_demonstration=True,
    )
    play_oracle(env, 3)
    # read while the env is still open: each episode is on disk as soon as it ends
    records = list(read_trajectories(path))
    assert len(records) == 3
    first = records[0]
    assert first.schema == SCHEMA and first.run_id == "r1" and first.agent == "oracle"
    assert first.env_id == "toolgym/PeopleMemory-v0" and first.env_kwargs["n_people"] == 20
    assert first.seed == 0 and first.reward == 1.0 and first.terminated and not first.truncated
    assert [m["role"] for m in first.messages] == ["user", "assistant", "tool", "assistant"]
    assert first.gold in first.messages[-1]["content"] and first.demonstration == [
        m["content"] for m in first.messages if m["role"] == "assistant"
    ]
    assert first.metrics["turns"] == 2 and first.metrics["tool_calls"] == 1 and "attribute" in first.metrics


def test_truncated_episodes_are_recorded(tmp_path):
    path = tmp_path / "t.jsonl"
    env = RecordTrajectories(gym.make("toolgym/PeopleMemory-v0", n_people=20), path=path)
    env.reset(seed=0)
    for _ in range(4):
        *_, truncated, info = env.step("```sql\nFIND x FOR y\n```")
    assert truncated and "trajectory" in info
    (record,) = read_trajectories(path)
    assert record.truncated and record.reward == 0.0 and record.metrics["tool_calls"] == 4


def test_round_trip_and_torn_last_line(tmp_path):
    path = tmp_path / "t.jsonl"
    records = [
        Trajectory(
            env_id="e",
            messages=[{"role": "user", "content": f"q{i}"}],
            reward=1.0,
            terminated=True,
            truncated=False,
            token_ids=[1, 2],
            loss_mask=[0, 1],
        )
        for i in range(3)
    ]
    for record in records:
        write_trajectory(path, record)
    with open(path, "a") as file:
        file.write(records[0].to_json()[:25])  # a run killed mid-write
    with pytest.warns(UserWarning, match="torn last line"):
        assert list(read_trajectories(path)) == records


def test_corrupt_middle_line_names_file_and_line(tmp_path):
    path = tmp_path / "t.jsonl"
    record = Trajectory(env_id="e", messages=[], reward=0.0, terminated=True, truncated=False)
    path.write_text(record.to_json() + "\n{oops\n" + record.to_json() + "\n")
    with pytest.raises(ValueError, match=r"t\.jsonl:2"):
        list(read_trajectories(path))


def test_other_schema_and_missing_path_are_clear_errors(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"schema": "toolgym.trajectory/99", "env_id": "e"}) + "\n")
    with pytest.raises(ValueError, match="unsupported trajectory schema"):
        list(read_trajectories(path))
    with pytest.raises(FileNotFoundError, match="nope"):
        list(read_trajectories(tmp_path / "nope"))


def test_folder_of_files_is_read(tmp_path):
    env = RecordTrajectories(gym.make("toolgym/PeopleMemory-v0", n_people=20), path=tmp_path / "a.jsonl")
    play_oracle(env, 2)
    env = RecordTrajectories(
        gym.make("toolgym/PeopleMemory-v0", n_people=20), path=tmp_path / "sub" / "b.jsonl"
    )
    play_oracle(env, 1)
    assert len(list(read_trajectories(tmp_path))) == 3
