"""The text-env contract on every registered id: env checker, vector envs, malformed input."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AsyncVectorEnv, SyncVectorEnv

import envs
from envs.core import MAX_OBSERVATION_CHARS, TextEnv, ToolCall, UnicodeText
from envs.trajectory import read_trajectories
from envs.wrappers import RecordTrajectories


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


# Text observations cannot use Gymnasium's shared memory: text envs need shared_memory=False.
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


class EchoEnv(TextEnv):
    """A tiny env of the core alone: ``echo: a | b`` calls the echo tool once per ``|`` part."""

    score_names = ("correct", "polite")
    max_observation_chars = 10_000

    def __init__(self):
        schema = {"type": "function", "function": {"name": "echo", "description": "Repeat the text.",
                  "parameters": {"type": "object", "properties": {"text": {"type": "string"}}}}}  # fmt: skip
        super().__init__({"echo": lambda text: text}, tool_schemas=[schema])
        self.num_tasks = 1

    def _new_task(self, options):
        return 0, "Say Zoë."

    def parse_tool_calls(self, text):
        if not text.startswith("echo:"):
            return []
        return [ToolCall("echo", {"text": part.strip()}) for part in text[5:].split("|")]

    def score(self, answer):
        return float("Zoë" in answer)

    def scores(self, answer):
        return {"correct": self.score(answer), "polite": float("please" in answer)}

    def demonstration(self):
        return ["Zoë"]


def test_a_turn_may_hold_several_calls_each_with_its_id():
    env = EchoEnv()
    env.reset(seed=0)
    observation, *_ = env.step("echo: Eren Erdoğan | Zoë")
    assert observation == "Eren Erdoğan\nZoë"
    turn, first, second = env.messages[1:]
    assert [c["id"] for c in turn["tool_calls"]] == ["call_0", "call_1"]
    assert turn["tool_calls"][0]["function"] == {"name": "echo", "arguments": {"text": "Eren Erdoğan"}}
    assert (first["role"], first["tool_call_id"], first["name"], first["content"]) == (
        "tool", "call_0", "echo", "Eren Erdoğan",
    )  # fmt: skip
    assert second["tool_call_id"] == "call_1"
    env.step("echo: again")
    assert env.messages[-2]["tool_calls"][0]["id"] == "call_2"  # ids are unique in the episode


def test_unicode_survives_env_and_trajectory_file_unescaped(tmp_path):
    path = tmp_path / "t.jsonl"
    env = RecordTrajectories(EchoEnv(), path=path)
    prompt, info = env.reset(seed=0)
    assert prompt == "Say Zoë." and env.observation_space.contains(prompt)
    assert env.step("echo: Eren Erdoğan")[0] == "Eren Erdoğan"
    *_, info = env.step("Zoë, please")
    assert info["scores"] == {"correct": 1.0, "polite": 1.0}
    assert "Eren Erdoğan" in path.read_text(encoding="utf-8")  # written as is, not \u011f
    (record,) = read_trajectories(path)
    assert record.messages[2]["content"] == "Eren Erdoğan" and record.messages[3]["content"] == "Zoë, please"
    assert record.tools == EchoEnv().tool_schemas and record.scores == {"correct": 1.0, "polite": 1.0}
    assert record.demonstration is None  # recorded only when asked


def test_lone_surrogates_and_control_characters_are_escaped_and_still_recorded(tmp_path):
    path = tmp_path / "t.jsonl"
    env = RecordTrajectories(EchoEnv(), path=path)
    env.reset(seed=0)
    observation, *_ = env.step("echo: a\x00b\ud800c")
    assert observation == "a\\x00b\\ud800c" and env.observation_space.contains(observation)
    env.step("done")
    (record,) = read_trajectories(path)
    assert record.messages[1]["content"] == "echo: a\x00b\ud800c"  # the agent's text, kept as written


def test_space_accepts_printable_unicode_only_and_stays_small():
    space = UnicodeText(20)
    assert space.contains("Zoë 日本 🙂\n\t") and not space.contains("a\x00") and not space.contains("\ud800")
    assert not space.contains("x" * 21) and not space.contains(b"bytes")
    assert len(space.character_set) < 200  # no 100K-character charset per env
    assert space.contains(space.sample())


def test_limits_are_class_attributes_an_env_raises():
    env = EchoEnv()
    assert env.observation_space.max_length == 10_000 and env.action_space.max_length == MAX_OBSERVATION_CHARS


def test_truncated_episode_scores_every_key_zero():
    env = RecordTrajectories(gym.wrappers.TimeLimit(EchoEnv(), max_episode_steps=1))
    env.reset(seed=0)
    *_, truncated, info = env.step("echo: x")
    assert truncated and info["scores"] == {"correct": 0.0, "polite": 0.0}


def test_tool_schemas_are_given_at_reset():
    assert (
        gym.make("toolgym/PeopleMemory-v0", n_people=10).reset(seed=0)[1]["tools"][0]["function"]["name"]
        == "database"
    )
    assert "tools" not in gym.make("toolgym/PeopleMemory-v0", n_people=10, mode="in_weight").reset(seed=0)[1]


def test_async_vector_env_with_shared_memory_fails_naming_the_fix():
    with pytest.raises(ValueError, match="shared_memory=False"):
        AsyncVectorEnv([lambda: gym.make("toolgym/Calculator-v0")] * 2)


@pytest.mark.parametrize(
    "make_env",
    [
        lambda: gym.make("toolgym/PeopleMemory-v0", n_people=10),
        lambda: gym.make("toolgym/PeopleMemory-v0", n_people=10, query_language="sql"),
        lambda: gym.make("toolgym/Calculator-v0"),
    ],
)
def test_recorded_calls_match_the_declared_json_schemas(make_env):
    import jsonschema

    env = make_env()
    _, info = env.reset(seed=0)
    schemas = {tool["function"]["name"]: tool["function"]["parameters"] for tool in info["tools"]}
    for turn in env.unwrapped.demonstration():
        env.step(turn)
    calls = [call for m in env.unwrapped.messages for call in m.get("tool_calls", ())]
    assert calls
    for call in calls:
        jsonschema.Draft202012Validator.check_schema(schemas[call["function"]["name"]])
        jsonschema.validate(call["function"]["arguments"], schemas[call["function"]["name"]])
