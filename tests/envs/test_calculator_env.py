"""toolgym/Calculator-v0: TRL's calculator format, rewards, truncation and malformed turns."""

from __future__ import annotations

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import envs  # noqa: F401
from agents.oracle import OracleAgent
from agents.random_agent import RandomAgent
from agents.rollout import rollout
from envs.calculator.tasks import FEW_SHOT_PROMPT, num_tasks, task_from_id
from envs.wrappers import RecordTrajectories


def make(**kwargs):
    return gym.make("toolgym/Calculator-v0", **kwargs)


def test_the_seed_format_end_to_end():
    env = make()
    question, info = env.reset(options={"task_id": 1 * 2500 + 13 * 50 + 3})  # "-", a=13, b=3
    assert question == "What is 13 - 3?" and info["role"] == "user"
    observation, reward, terminated, truncated, info = env.step("<request><SimpleCalculatorTool>13-3<call>")
    assert (observation, reward, terminated, truncated, info["role"]) == (
        "10<response>",
        0.0,
        False,
        False,
        "tool",
    )
    _, reward, terminated, _, _ = env.step("Result=10<submit>")
    assert reward == 1.0 and terminated


def test_decimal_variant_and_few_shot_prompt():
    env = make(decimals=True, few_shot=True)
    question, _ = env.reset(options={"task_id": 1 * 250_000 + 131 * 500 + 30})
    assert question == FEW_SHOT_PROMPT + "\n\nWhat is 13.1 - 3?"
    assert env.step("<request><SimpleCalculatorTool>13.1-3<call>")[0] == "10.1<response>"
    assert env.step("Result=10.1<submit>")[1] == 1.0
    assert num_tasks(True) == 750_000 and task_from_id(749_999, True).expression == "49.9*49.9"


@pytest.mark.parametrize(
    ("answer", "exact", "shaped"),
    [
        ("Result=10<submit>", 1.0, 1.0),
        ("Result = 10.005 <submit>", 1.0, 1.0),  # within 0.01; "Result =" with a space
        ("Result=11<submit>", 0.0, 2 / 12),
        ("Result=10", 0.0, 1 / 12),
        ("10<submit>", 0.0, 1 / 12),
        ("I think it is 10.", 0.0, 0.0),
    ],
)
def test_exact_and_shaped_rewards(answer, exact, shaped):
    for reward, expected in (("exact", exact), ("shaped", shaped)):
        env = make(reward=reward)
        env.reset(options={"task_id": 1 * 2500 + 13 * 50 + 3})
        assert env.step(answer)[1] == pytest.approx(expected), (reward, answer)


@pytest.mark.parametrize(
    ("turn", "reply"),
    [
        ("<request><Calc>1+1<call>", "Unknown tool 'Calc'; available tools: SimpleCalculatorTool.<response>"),
        ("<call>", "Malformed tool call: write a call as <request><ToolName>expression<call><response>"),
        ("<request><SimpleCalculatorTool>1/0<call>", "Error: division by zero<response>"),
        ("<request><SimpleCalculatorTool>9**9**9**9<call>", "Error: only numbers, + - * / and parentheses"),
        (b"\x00", "An action must be text (str), not bytes.<response>"),
    ],
)
def test_malformed_calls_are_answered_as_text(turn, reply):
    env = make()
    env.reset(seed=0)
    observation, reward, terminated, truncated, _ = env.step(turn)
    assert observation.startswith(reply) and observation.endswith("<response>")
    assert (reward, terminated, truncated) == (0.0, False, False)


def test_time_limit_truncates_and_tool_answers_are_cut():
    env = make(max_episode_steps=2, max_tool_response=3)
    env.reset(seed=0)
    observation, *_, truncated, _ = env.step("<request><SimpleCalculatorTool>123456*10<call>")
    assert observation == "123<response>" and not truncated
    *_, terminated, truncated, _ = env.step("<request><SimpleCalculatorTool>1+1<call>")
    assert truncated and not terminated


def test_truncation_is_registered_at_four_turns_and_scores_zero():
    env = RecordTrajectories(make())
    env.reset(seed=0)
    for _ in range(4):
        *_, terminated, truncated, info = env.step("<request><SimpleCalculatorTool>1+1<call>")
    assert truncated and not terminated
    assert info["scores"] == {"correct": 0.0}


@pytest.mark.parametrize("reward", ["exact", "shaped"])
def test_correct_score_is_within_a_hundredth_whatever_the_reward(reward):
    env = make(reward=reward)
    env.reset(options={"task_id": 1 * 2500 + 13 * 50 + 3})  # 13 - 3
    assert env.step("Result=10.004<submit>")[4]["scores"] == {"correct": 1.0}
    env.reset(options={"task_id": 1 * 2500 + 13 * 50 + 3})
    assert env.step("Result=10.02<submit>")[4]["scores"] == {"correct": 0.0}


@pytest.mark.parametrize("answer", ["Result=\u0661\u0660<submit>", "Result=\uff11\uff10<submit>"])
def test_only_ascii_digits_score(answer):
    env = make()
    env.reset(options={"task_id": 1 * 2500 + 13 * 50 + 3})  # 13 - 3 = 10
    _, reward, terminated, _, info = env.step(answer)
    assert terminated and reward == 0.0 and info["scores"] == {"correct": 0.0}


def test_assistant_turn_carries_the_call_and_the_tool_message_its_id():
    env = make()
    info = env.reset(seed=0)[1]
    assert info["tools"][0]["function"]["name"] == "SimpleCalculatorTool"
    env.step("<request><SimpleCalculatorTool>13-3<call>")
    turn, answer = env.unwrapped.messages[1:]
    assert turn["content"] == "<request><SimpleCalculatorTool>13-3<call>"
    assert turn["tool_calls"] == [
        {
            "id": "call_0",
            "type": "function",
            "function": {"name": "SimpleCalculatorTool", "arguments": {"expression": "13-3"}},
        }
    ]
    assert answer == {
        "role": "tool",
        "tool_call_id": "call_0",
        "name": "SimpleCalculatorTool",
        "content": "10<response>",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reward": "dense"}, "reward='dense' is not valid; choose one of 'exact', 'shaped'"),
        ({"max_tool_response": 0}, "max_tool_response=0 is not valid; it must be >= 1"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make(**kwargs)


def test_checker_oracle_and_random_floor():
    check_env(make().unwrapped)
    tasks = [{"task_id": i} for i in range(0, 7500, 37)]
    assert all(
        t.reward == 1.0 for t in rollout(lambda: make(decimals=False), OracleAgent(), tasks=tasks, num_envs=8)
    )
    chance = rollout(make, RandomAgent(), tasks=tasks, num_envs=8)
    assert sum(t.reward for t in chance) / len(chance) < 0.1
