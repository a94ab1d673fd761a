"""One evaluation for every study: play records fresh files with tokens; summarize groups by any key."""

from __future__ import annotations

import gymnasium as gym
import pytest
import torch

import envs  # noqa: F401
from agents.evaluate import play, summarize
from agents.model import build_model
from agents.tokenizers.calculator import build_calculator_tokenizer
from envs.trajectory import Trajectory, read_trajectories


def calculator():
    return gym.make("toolgym/Calculator-v0")


def test_play_records_a_fresh_file_with_tokens_step_and_tags(tmp_path):
    tokenizer = build_calculator_tokenizer()
    torch.manual_seed(0)
    model = build_model(len(tokenizer), width=16)
    path = tmp_path / "eval.jsonl"
    path.write_text("an old evaluation that must not survive\n")
    tasks = [{"task_id": i} for i in (5, 1, 9)]
    episodes = play(
        model, tokenizer, calculator, tasks, max_new_tokens=8, path=path, step=7, tags={"split": "held_out"}
    )
    assert [e.task_id for e in episodes] == [5, 1, 9]
    assert all(e.step == 7 and e.tags["split"] == "held_out" and e.agent == "greedy" for e in episodes)
    assert all(e.token_ids and len(e.tokens) == len(e.token_ids) == len(e.loss_mask) for e in episodes)
    again = list(read_trajectories(path))
    assert [e.to_json() for e in again] == [e.to_json() for e in episodes]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eval.jsonl"]  # no temporary file left
    # Greedy play is deterministic: a second evaluation replaces the file with the same episodes.
    play(model, tokenizer, calculator, tasks, max_new_tokens=8, path=path, step=7, tags={"split": "held_out"})
    assert [e.messages for e in read_trajectories(path)] == [e.messages for e in episodes]


def test_a_static_cache_plays_the_same_greedy_turns_as_the_dynamic_one():
    tokenizer = build_calculator_tokenizer()
    torch.manual_seed(0)
    model = build_model(len(tokenizer), width=16)
    tasks = [{"task_id": i} for i in range(6)]  # prompts of different lengths: left padding
    dynamic, static = (
        play(model, tokenizer, calculator, tasks, max_new_tokens=12, static_cache=cache)
        for cache in (False, True)
    )
    assert [e.messages for e in static] == [e.messages for e in dynamic]


def test_only_an_env_that_can_doom_a_turn_is_asked(monkeypatch):
    import agents.evaluate

    given = []

    class Recorder(agents.evaluate.LMAgent):
        def __init__(self, *args, doomed=None, **kwargs):
            given.append(doomed)
            super().__init__(*args, doomed=doomed, **kwargs)

    class Dooming(type(calculator().unwrapped)):
        def doomed(self, messages, partial):
            return False

    monkeypatch.setattr(agents.evaluate, "LMAgent", Recorder)
    tokenizer = build_calculator_tokenizer()
    model = build_model(len(tokenizer), width=16)
    for make_env in (calculator, Dooming):
        play(model, tokenizer, make_env, [{"task_id": 0}], max_new_tokens=4)
    assert given[0] is None  # TextEnv's default dooms nothing: asking it would only cost time
    assert given[1] is not None and given[1].__func__ is Dooming.doomed


def record(reward, tool_calls, attribute, scores=None, agent="a"):
    return Trajectory(
        env_id="x", messages=[], reward=reward, terminated=True, truncated=False, agent=agent,
        metrics={"tool_calls": tool_calls, "turns": 1 + tool_calls, "attribute": attribute},
        scores=scores or {}, tags={"split": "train" if reward else "ood"},
    )  # fmt: skip


def test_summarize_means_and_groups():
    episodes = [
        record(1.0, 1, "city", {"exact": 1.0}),
        record(0.0, 0, "city", {"exact": 0.0, "format": 1.0}),
        record(1.0, 2, "year", agent="b"),
    ]
    summary = summarize(episodes)
    assert summary["episodes"] == 3 and summary["reward"] == pytest.approx(2 / 3)
    assert summary["tool_call_rate"] == pytest.approx(2 / 3) and summary["turns"] == pytest.approx(2.0)
    assert summary["exact"] == 0.5 and summary["format"] == 1.0  # each score over the episodes that have it
    by_attribute = summarize(episodes, by="attribute")  # a metric
    assert set(by_attribute) == {"city", "year"} and by_attribute["city"]["reward"] == 0.5
    assert summarize(episodes, by="split")["ood"]["episodes"] == 1  # a tag
    assert summarize(episodes[:2], by="exact")[1.0]["reward"] == 1.0  # a score
    assert summarize(episodes, by="agent")["b"]["reward"] == 1.0  # a field of the record
    assert summarize([])["reward"] is None
    with pytest.raises(KeyError, match="'colour'"):
        summarize(episodes, by="colour")
