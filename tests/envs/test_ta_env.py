"""TinyAgentPlanner-v0 as an agent plays it: the oracle, a scripted planner, the scores, bad plans."""

from __future__ import annotations

import re

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import envs  # noqa: F401  (registers the ids)
from envs.tinyagent import plans
from envs.tinyagent.env import SCORE_NAMES, TinyAgentPlannerEnv
from tools.desktop.apps import TOOL_NAMES

ENV_ID = "toolgym/TinyAgentPlanner-v0"
FINISH = "Thought: Done.\nAction: Finish(Done.)"


def play(env, turns):
    """Play ``turns`` until the episode ends; the last step's results."""
    for turn in turns:
        result = env.step(turn)
        if result[2] or result[3]:
            return result
    return result


def gold_steps(env) -> list[tuple[str, tuple]]:
    """The gold plan read back from the env's own demonstration (what a replay would show)."""
    return [(s.tool, s.args) for s in plans.parse_plan(env.unwrapped.demonstration()[0], TOOL_NAMES).calls()]


@pytest.mark.parametrize("describe", ["all", "gold", "noisy"])
def test_check_env_passes(describe):
    check_env(TinyAgentPlannerEnv(split="test", describe=describe), skip_render_check=True)


def test_the_oracle_scores_one_on_every_test_task():
    env = gym.make(ENV_ID, split="test")
    steps = set()
    for task_id in range(env.unwrapped.num_tasks):
        env.reset(options={"task_id": task_id})
        _, reward, terminated, _, info = play(env, env.unwrapped.demonstration())
        assert terminated and reward == 1.0, task_id
        assert info["scores"]["state_success"] == 1.0, task_id
        assert info["scores"]["node_f1"] == info["scores"]["edge_f1"] == 1.0
        steps.add(env.unwrapped.task_info()["steps"])
    assert env.unwrapped.num_tasks == 1000
    assert min(steps) == 1 and max(steps) >= 6


def test_the_oracle_scores_one_on_training_tasks():
    env = gym.make(ENV_ID, split="train", num_tasks=300)
    for task_id in range(300):
        env.reset(options={"task_id": task_id})
        assert play(env, env.unwrapped.demonstration())[1] == 1.0


def test_the_first_observation_is_the_planner_prompt_without_the_answer():
    env = gym.make(ENV_ID, split="test")
    prompt, info = env.reset(options={"task_id": 5})
    assert prompt.startswith("Tools:\n") and "Question: " in prompt
    assert all(f"{name}(" in prompt for name in TOOL_NAMES)
    assert [t["function"]["name"] for t in info["tools"]] == list(TOOL_NAMES)
    assert env.unwrapped.demonstration()[0] not in prompt


def test_gold_descriptions_name_only_the_gold_tools():
    env = gym.make(ENV_ID, split="test", describe="gold")
    prompt, info = env.reset(options={"task_id": 7})
    gold = {tool for tool, _ in gold_steps(env)}
    assert {t["function"]["name"] for t in info["tools"]} == gold
    described = set(re.findall(r"^(\w+)\(", prompt.split("\n\n")[0], flags=re.M))
    assert described == gold


def test_noisy_descriptions_hold_the_gold_tools_among_a_varying_number_of_others():
    env = gym.make(ENV_ID, split="train", describe="noisy")
    sizes = set()
    for task_id in range(40):
        prompt, _ = env.reset(options={"task_id": task_id})
        described = re.findall(r"^(\w+)\(", prompt.split("\n\n")[0], flags=re.M)
        gold = {tool for tool, _ in gold_steps(env)}
        assert gold <= set(described) and described == [n for n in TOOL_NAMES if n in described]
        assert env.reset(options={"task_id": task_id})[0] == prompt  # seeded by the task
        sizes.add(len(described) - len(gold))
    assert min(sizes) <= 2 and max(sizes) >= 10  # from a retriever's few tools to nearly all


def _parallel_task(env):
    """A test task whose gold plan has two independent steps (so they can be swapped)."""
    for task_id in range(env.unwrapped.num_tasks):
        env.reset(options={"task_id": task_id})
        steps = gold_steps(env)
        if len(steps) >= 2 and not plans.references(steps[1][1]) and not plans.references(steps[0][1]):
            return task_id, steps
    raise AssertionError("no test task with two independent first steps")


def test_a_scripted_planner_succeeds_exactly_when_its_dag_matches():
    env = gym.make(ENV_ID, split="test")
    task_id, steps = _parallel_task(env)

    def renumbered(order):
        # The same calls in another order, $k rewritten to the new numbers.
        new_index = {old + 1: new + 1 for new, old in enumerate(order)}
        out = []
        for old in order:
            tool, args = steps[old]
            args = plans.substitute(list(args), {k: f"${v}" for k, v in new_index.items()})
            out.append((tool, tuple(args)))
        return out

    swapped = renumbered([1, 0, *range(2, len(steps))])
    env.reset(options={"task_id": task_id})
    _, reward, _, _, info = play(env, [plans.format_plan(swapped), FINISH])
    assert reward == 1.0 and info["scores"]["state_success"] == 1.0

    # Other argument values: still TinyAgent's success (arguments are ignored), not the world's.
    changed = [
        (tool, tuple("x" if isinstance(a, str) and "$" not in a else a for a in args)) for tool, args in steps
    ]
    env.reset(options={"task_id": task_id})
    _, reward, _, _, info = play(env, [plans.format_plan(changed), FINISH])
    assert reward == 1.0 and info["scores"]["state_success"] == 0.0

    # One step dropped: no longer the gold DAG.
    env.reset(options={"task_id": task_id})
    _, reward, _, _, info = play(env, [plans.format_plan(steps[:-1] or steps[:1]), FINISH])
    assert reward == 0.0 and info["scores"]["node_f1"] < 1.0


def test_a_missing_dependency_fails_the_dag():
    env = gym.make(ENV_ID, split="test")
    for task_id in range(200):
        env.reset(options={"task_id": task_id})
        steps = gold_steps(env)
        dependent = [i for i, (_, args) in enumerate(steps) if plans.references(args)]
        if dependent:
            break
    i = dependent[0]
    tool, args = steps[i]
    cut = tuple("" if plans.references(a) else a for a in args)
    broken = [*steps[:i], (tool, cut), *steps[i + 1 :]]
    _, reward, _, _, info = play(env, [plans.format_plan(broken), FINISH])
    assert reward == 0.0 and info["scores"]["edge_f1"] < 1.0


HOSTILE = [
    "",
    "I would email Ana.",
    '1. get_email_address("Ana")\n2. join()',  # no <END_OF_PLAN>
    '1. get_email_address("$2")\n2. send_sms(["$1"], "hi")\n3. join()<END_OF_PLAN>',  # a cycle
    '1. send_sms(["$99"], "hi")\n2. join()<END_OF_PLAN>',
    "1. get_email_address(__import__('os').system('echo pwned'))\n2. join()<END_OF_PLAN>",
    '1. create_note("a", ' + "[" * 5000 + "]" * 5000 + ', "")\n2. join()<END_OF_PLAN>',
    '1. get_email_address(name="Ana")\n2. join()<END_OF_PLAN>',
    '1. rm_rf("/")\n2. join()<END_OF_PLAN>',
    '1. create_note("a" * 9, "b", "")\n2. join()<END_OF_PLAN>',
]


@pytest.mark.parametrize("plan", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_plans_are_answered_scored_zero_and_leave_the_world_alone(plan):
    env = gym.make(ENV_ID, split="test")
    env.reset(options={"task_id": 3})
    before = env.unwrapped.desktop.world.snapshot()
    observation, reward, terminated, _, info = env.step(plan)
    assert terminated and reward == 0.0
    assert set(info["scores"]) == set(SCORE_NAMES) and info["scores"]["parse_errors"] == 1.0
    assert observation.startswith("Malformed plan:")
    assert env.unwrapped.desktop.world.snapshot() == before


@pytest.mark.parametrize(
    "action", [b"\xff\xfe plan", 12, "1. " + "a" * 1_000_000], ids=["bytes", "int", "1MB"]
)
def test_actions_that_are_not_usable_text_end_the_episode_with_zero(action):
    env = gym.make(ENV_ID, split="test")
    env.reset(options={"task_id": 0})
    observation, reward, terminated, _, info = env.step(action)
    assert terminated and reward == 0.0 and observation
    assert info["scores"]["parse_errors"] == 1.0


def test_a_plan_turn_and_a_joiner_turn_are_doomed_at_their_first_bad_line():
    env = TinyAgentPlannerEnv(split="test")
    prompt, _ = env.reset(options={"task_id": 0})
    asked = [{"role": "user", "content": prompt}]
    assert env.doomed(asked, "1. get_trending_hashtags()\n2. ")
    gold = env.gold()
    assert not any(env.doomed(asked, gold[:k]) for k in range(len(gold) + 1))
    observed = [*asked, {"role": "assistant", "content": gold}, {"role": "tool", "content": "Observation 1"}]
    answer = "Thought: done.\nAction: Finish(Task completed!)\n"
    assert not any(env.doomed(observed, answer[:k]) for k in range(len(answer) + 1))
    assert env.doomed(observed, answer + "2. create_note(\n")  # the joiner's grammar, not the plan's
    assert not env.doomed(
        observed, "1. get_phone_number("
    )  # a plan line is judged as a joiner line, when complete


def test_a_misused_tool_is_an_observation_not_an_exception():
    env = gym.make(ENV_ID, split="test")
    env.reset(options={"task_id": 0})
    plan = '1. summarize_pdf("/nowhere.pdf")\n2. get_phone_number("Nobody At All")\n3. join()<END_OF_PLAN>'
    observation, reward, terminated, _, _ = env.step(plan)
    assert not terminated and reward == 0.0
    lines = observation.splitlines()
    assert lines[0].startswith("Observation 1: Error:") and lines[1].startswith("Observation 2: ")
    tool_messages = [m for m in env.unwrapped.messages if m["role"] == "tool"]
    assert [m["name"] for m in tool_messages] == ["summarize_pdf", "get_phone_number"]


def test_a_malformed_joiner_turn_keeps_the_plans_score():
    env = gym.make(ENV_ID, split="test")
    env.reset(options={"task_id": 2})
    _, reward, terminated, _, info = play(env, [env.unwrapped.demonstration()[0], "all done"])
    assert terminated and reward == 1.0
    assert info["scores"]["join_finish"] == 0.0 and info["scores"]["parse_errors"] == 1.0


def test_replan_asks_for_a_new_plan_until_the_limit():
    env = gym.make(ENV_ID, split="test", max_replans=1)
    env.reset(options={"task_id": 4})
    gold = env.unwrapped.demonstration()[0]
    env.step('1. get_email_address("Nobody")\n2. join()<END_OF_PLAN>')
    observation, _, terminated, _, info = env.step("Thought: That failed.\nAction: Replan")
    assert not terminated and observation.startswith("Replan") and info["role"] == "user"
    env.step(gold)
    _, reward, terminated, _, info = env.step("Thought: Done.\nAction: Replan")
    assert terminated and reward == 1.0
    assert info["scores"]["replans"] == 2.0 and info["scores"]["join_finish"] == 0.0


def test_the_random_agent_is_a_floor():
    env = gym.make(ENV_ID, split="test")
    rewards = []
    for task_id in range(200):
        env.reset(options={"task_id": task_id})
        done = False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.unwrapped.random_answer())
            done = terminated or truncated
        rewards.append(reward)
    assert sum(rewards) / len(rewards) < 0.1


@pytest.mark.parametrize(
    "kwargs",
    [{"split": "dev"}, {"describe": "some"}, {"describe": "toolrag"}, {"max_replans": 3}, {"num_tasks": 0}],
)
def test_bad_arguments_are_refused_with_their_name(kwargs):
    key = next(iter(kwargs))
    with pytest.raises(ValueError, match=key if key != "describe" or kwargs[key] != "toolrag" else "toolrag"):
        TinyAgentPlannerEnv(**kwargs)


def test_tinyagents_own_test_file_is_played_with_its_prompt_and_scored_by_dag(tinyagent_data):
    env = gym.make(ENV_ID, data=str(tinyagent_data / "testing_data.json"))
    prompt, _ = env.reset(options={"task_id": 0})
    assert env.unwrapped.num_tasks == 1 and "Text Søren that I am late." in prompt and "Tools:" in prompt
    _, reward, terminated, _, info = play(env, env.unwrapped.demonstration())
    assert terminated and reward == 1.0 and "state_success" not in info["scores"]
    env.reset(options={"task_id": 0})
    _, reward, _, _, _ = play(env, ['1. get_phone_number("Søren")\n2. join()<END_OF_PLAN>', FINISH])
    assert reward == 0.0
