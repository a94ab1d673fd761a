"""toolgym/TeacherDemo-v0: prompts, the age reward, the oracle's demonstration, bad input."""

from __future__ import annotations

import math

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import envs  # noqa: F401
from agents.oracle import OracleAgent
from agents.random_agent import RandomAgent
from agents.rollout import rollout
from envs.core import MAX_OBSERVATION_CHARS
from envs.trajectory import read_trajectories

SENTENCES = ["look at the big red doggy !", "do you want more juice ?", "uh oh ."]


def length_age(text: str) -> float:
    """A stand-in reward model: longer texts read as older."""
    return float(len(text.split()))


def make(**kwargs):
    return gym.make("toolgym/TeacherDemo-v0", sentences=SENTENCES, reward_model=length_age, **kwargs)


def test_check_env_passes_with_stub_callables():
    check_env(make(teacher=lambda prompt: "ball").unwrapped)


def test_the_prompt_is_the_first_words_and_the_reward_is_age_minus_log_step():
    env = make()
    prompt, info = env.reset(options={"task_id": 0, "student_step": 10})
    assert prompt == "look at the big red" and info["role"] == "user"
    _, reward, terminated, truncated, info = env.step("doggy !")
    assert terminated and not truncated
    assert reward == pytest.approx(length_age("look at the big red doggy !") - math.log(10))
    assert info["scores"] == {"predicted_log_age": 7.0, "words": 2.0}


def test_the_demonstration_is_the_teachers_continuation_called_once_per_task():
    calls = []

    def teacher(prompt):
        calls.append(prompt)
        return "ball please"

    env = make(teacher=teacher)
    env.reset(options={"task_id": 1})
    assert env.unwrapped.demonstration() == env.unwrapped.demonstration() == ["ball please"]
    assert calls == ["do you want more juice"]


def test_without_a_teacher_the_corpus_continuation_is_the_demonstration():
    env = make()
    env.reset(options={"task_id": 1})
    assert env.unwrapped.demonstration() == ["?"]


def test_a_scripted_agent_is_rewarded_through_the_public_api(tmp_path):
    """The oracle's and a random agent's episodes are scored by the same reward model."""
    tasks = [{"task_id": i, "student_step": 3} for i in range(3)]
    path = tmp_path / "episodes.jsonl"
    oracle = rollout(
        lambda: make(teacher=lambda p: "and the ball too"), OracleAgent(), tasks=tasks, path=path
    )
    for record in oracle:
        prompt = record.messages[0]["content"]
        assert record.reward == pytest.approx(length_age(f"{prompt} and the ball too") - math.log(3))
    assert [r.task_id for r in read_trajectories(path)] == [0, 1, 2]
    assert oracle[0].env_kwargs["sentences"] == "3 utterances"  # a record names, never holds, the objects
    assert oracle[0].env_kwargs["reward_model"] == "length_age"
    floor = rollout(lambda: make(), RandomAgent(), tasks=tasks)
    assert all(r.terminated for r in floor)


@pytest.mark.parametrize("action", ["", b"\x00\xff", 42, "x " * 600_000, "\ud800"])
def test_bad_actions_are_answered_never_raised(action):
    env = make()
    env.reset(options={"task_id": 2})
    observation, reward, terminated, _, _ = env.step(action)
    assert env.observation_space.contains(observation) and len(observation) <= MAX_OBSERVATION_CHARS
    assert math.isfinite(reward)
    if not terminated:  # an unscorable turn is answered; a second one ends the episode unscored
        assert env.step(action)[3] and reward == 0


def test_a_reward_model_that_returns_nan_scores_zero():
    env = gym.make("toolgym/TeacherDemo-v0", sentences=SENTENCES, reward_model=lambda t: math.nan)
    env.reset(options={"task_id": 0})
    assert env.step("doggy")[1] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "options", "match"),
    [
        ({"prompt_words": 0}, {}, "prompt_words"),
        ({"sentences": []}, {}, "sentences"),
        ({}, {"student_step": 0}, "student_step"),
        ({}, {"task_id": 99}, "task_id"),
    ],
)
def test_bad_arguments_name_the_key(kwargs, options, match):
    with pytest.raises(ValueError, match=match):
        env = gym.make("toolgym/TeacherDemo-v0", **{"sentences": SENTENCES, **kwargs})
        env.reset(options=options)
