"""The replay app driven by Textual's Pilot: open, filter, search, replay, tokens, diff, help."""

from __future__ import annotations

import asyncio
from pathlib import Path

import gymnasium as gym
import pytest
from textual.widgets import Static

import envs  # noqa: F401
from agents.oracle import OracleAgent
from agents.random_agent import RandomAgent
from agents.rollout import rollout
from agents.tokenizers import attach_tokens
from agents.tokenizers.memory import build_memory_tokenizer
from envs.trajectory import append_trajectories
from tui.__main__ import main
from tui.app import EpisodeList, Replay, TrajectoryApp


@pytest.fixture(scope="module")
def trajectories(tmp_path_factory):
    """20 oracle episodes (with token ids and loss masks) and 20 random ones."""
    make_env = lambda: gym.make("toolgym/PeopleMemory-v0", n_people=50)  # noqa: E731
    played = rollout(make_env, OracleAgent(), 20, num_envs=8, record_demonstrations=True)
    oracle = attach_tokens(build_memory_tokenizer(), played)
    chance = rollout(make_env, RandomAgent(), 20, num_envs=8)
    path = tmp_path_factory.mktemp("run") / "trajectories" / "episodes.jsonl"
    append_trajectories(path, oracle + chance)
    return path


def run(app, steps):
    async def drive():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            return await steps(app, pilot)

    return asyncio.run(drive())


def test_list_filter_search_and_sort(trajectories):
    async def steps(app, pilot):
        screen = app.screen
        assert isinstance(screen, EpisodeList) and len(screen.shown) == 40
        await pilot.press("f")
        assert screen.shown and all(app.index.summary(r).reward == 0 for r in screen.shown)
        await pilot.press("f", "o", "o")  # failures off; sort by turns
        turns = [app.index.summary(r).turns for r in screen.shown]
        assert turns == sorted(turns)
        name = app.index.record(0).metrics["name"]
        await pilot.press("slash")
        await pilot.press(*name.lower(), "enter")
        assert screen.shown and all(name.lower() in app.index.summary(r).text for r in screen.shown)
        assert "search=" in str(screen.query_one("#status", Static).render())

    run(TrajectoryApp(trajectories.parent.parent), steps)


def test_replay_steps_tokens_diff_and_help(trajectories):
    async def steps(app, pilot):
        await pilot.press("enter")  # the first row: an oracle in-tool episode
        replay = app.screen
        assert isinstance(replay, Replay) and replay.shown == 4
        await pilot.press("left", "left")
        assert replay.shown == 2 and len(replay.query(".message")) == 2
        await pilot.press("right")
        assert [w.border_title for w in replay.query(".message")] == ["user", "assistant", "database ->"]
        await pilot.press("t")
        (tokens,) = replay.query(".tokens")
        assert "trained" in tokens.border_title
        await pilot.press("d")
        (diff,) = replay.query(".diff")
        assert "oracle" in diff.border_title
        await pilot.press("question_mark")
        assert "next turn" in str(app.screen.query_one("#help", Static).render())
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, EpisodeList)
        app.save_screenshot(str(trajectories.parent / "list.svg"))

    run(TrajectoryApp(trajectories), steps)
    assert "episodes" in (trajectories.parent / "list.svg").read_text()


def test_list_keys_move_the_cursor_and_open_that_episode(trajectories):
    async def steps(app, pilot):
        await pilot.press("end", "up", "enter")
        assert isinstance(app.screen, Replay) and app.screen.row == app.screen_stack[-2].shown[-2]
        await pilot.press("escape", "home", "pagedown", "enter")
        assert app.screen.row > 0

    run(TrajectoryApp(trajectories), steps)


def test_follow_picks_up_new_episodes(trajectories, tmp_path):
    path = tmp_path / "live.jsonl"
    path.write_bytes(trajectories.read_bytes())

    async def steps(app, pilot):
        assert len(app.screen.shown) == 40
        with open(path, "ab") as file:
            file.write(trajectories.read_bytes().splitlines(keepends=True)[0])
        await pilot.pause(1.5)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(app.screen.shown) == 41

    run(TrajectoryApp(path, follow=True), steps)


def test_torn_last_line_is_left_out(trajectories, tmp_path):
    path = tmp_path / "torn.jsonl"
    path.write_bytes(trajectories.read_bytes() + b'{"env_id": "toolgym/Peop')
    assert len(TrajectoryApp(path).index) == 40


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing", "no such file or folder"),
        (
            lambda d: (d / "notes.jsonl").write_text("hello\n") and d / "notes.jsonl",
            "not a toolgym trajectories file",
        ),
        (lambda d: (d / "empty").mkdir() or d / "empty", "no *.jsonl"),
    ],
)
def test_bad_paths_are_one_line_errors(tmp_path, capsys, make, message):
    assert main([str(make(tmp_path))]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


@pytest.fixture
def in_run_folder(trajectories, monkeypatch):
    """A relative path, so the header (and the snapshot) does not depend on the temporary folder."""
    monkeypatch.chdir(trajectories.parent.parent)
    return Path("trajectories") / trajectories.name


async def _settle(pilot):
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_snapshot_episode_list(snap_compare, in_run_folder):
    assert snap_compare(TrajectoryApp(in_run_folder), terminal_size=(120, 34), run_before=_settle)


def test_snapshot_replay(snap_compare, in_run_folder):
    async def open_first(pilot):
        await _settle(pilot)
        await pilot.press("enter", "left")
        await pilot.pause()

    assert snap_compare(TrajectoryApp(in_run_folder), terminal_size=(120, 34), run_before=open_first)


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_calculator_rollout_shows_its_own_tokens(tmp_path):
    from agents.tokenizers.calculator import build_calculator_tokenizer

    played = rollout(lambda: gym.make("toolgym/Calculator-v0"), OracleAgent(), 2, tags={"split": "eval"})
    path = tmp_path / "calculator.jsonl"
    append_trajectories(path, attach_tokens(build_calculator_tokenizer(), played))

    async def steps(app, pilot):
        assert app.index.summary(0).split == "eval"  # the split column reads tags
        await pilot.press("enter", "t")
        (tokens,) = app.screen.query(".tokens")
        shown = str(tokens.render())
        assert "<request>" in shown and "<call>" in shown and "<|user|>" not in shown

    run(TrajectoryApp(path), steps)


def test_version_1_file_opens_and_shows_its_token_ids():
    path = FIXTURES / "trajectories_v1.jsonl"
    from envs.trajectory import read_trajectories

    records = list(read_trajectories(path))
    assert len(records) == 5 and records[-1].step == 3  # v1 "ppo-step3" run id
    assert all(r.token_ids and r.tokens is None for r in records)

    async def steps(app, pilot):
        assert len(app.screen.shown) == 5
        await pilot.press("end", "enter", "t")  # a calculator record: ids only, no tokenizer in a loose file
        (tokens,) = app.screen.query(".tokens")
        assert "ids only" in tokens.border_title and "<256>" in str(tokens.render())

    run(TrajectoryApp(path), steps)


def test_v1_record_decodes_with_the_runs_saved_tokenizer(tmp_path):
    from agents.tokenizers.calculator import build_calculator_tokenizer

    run_dir = tmp_path / "run"
    (run_dir / "trajectories").mkdir(parents=True)
    lines = (FIXTURES / "trajectories_v1.jsonl").read_text().splitlines(keepends=True)
    (run_dir / "trajectories" / "ppo.jsonl").write_text("".join(lines[3:]))  # the calculator records
    build_calculator_tokenizer().save_pretrained(run_dir / "seed0" / "checkpoints" / "final")
    (run_dir / "config.json").write_text('{"scenario": "calculator_ppo"}')

    async def steps(app, pilot):
        await pilot.press("enter", "t")
        (tokens,) = app.screen.query(".tokens")
        assert "run's tokenizer" in tokens.border_title
        assert "<request>" in str(tokens.render()) and "<call>" in str(tokens.render())

    run(TrajectoryApp(run_dir), steps)


def test_header_shows_the_headline_with_nulls_as_dashes(trajectories, tmp_path):
    from tui.views import run_header

    run_dir = tmp_path / "run"
    (run_dir / "trajectories").mkdir(parents=True)
    (run_dir / "trajectories" / "e.jsonl").write_bytes(trajectories.read_bytes())
    (run_dir / "results.json").write_text(
        '{"in_tool": {"recall": 0.9, "ood_accuracy": null},'
        ' "headline": {"metric": "recall", "values": {"in_tool": 0.98, "in_weight": null}}}'
    )
    app = TrajectoryApp(run_dir)
    header = str(run_header(run_dir, app.index))
    assert "recall:" in header and "in_tool 0.980" in header and "in_weight -" in header


def test_damaged_and_wrongly_typed_records_show_what_is_wrong(trajectories, tmp_path):
    from tui.app import BadRecord

    good = trajectories.read_bytes().splitlines(keepends=True)[0]
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(
        good
        + b'{"env_id": "x", "messages": [], "reward": "high", "terminated": true, "truncated": false}\n'
        + b"{oops\n"
        + good
    )

    async def steps(app, pilot):
        assert [app.index.summary(r).env_id for r in (1, 2)] == ["(bad record)", "(unreadable line)"]
        for row, expected in ((1, "reward is str"), (2, "damaged.jsonl:3")):
            await pilot.press("home", *["down"] * row, "enter")
            assert isinstance(app.screen, BadRecord), row
            assert expected in str(app.screen.query_one("#bad-record", Static).render())
            await pilot.press("escape")
        assert isinstance(app.screen, EpisodeList)

    run(TrajectoryApp(path), steps)


def test_function_calling_replay_shows_tool_names_beside_the_tool_tokens(tmp_path):
    from agents.tokenizers.function_calling import build_function_calling_tokenizer

    make_env = lambda: gym.make("toolgym/FunctionCalling-v0", call_format="tokens")  # noqa: E731
    played = rollout(make_env, OracleAgent(), 2)
    path = tmp_path / "function_calling.jsonl"
    append_trajectories(path, attach_tokens(build_function_calling_tokenizer(), played))
    names = [call["function"]["name"] for call in played[0].messages[-1]["tool_calls"]]

    async def steps(app, pilot):
        await pilot.press("enter")
        shown = " ".join(str(w.render()) for w in app.screen.query(".message"))
        assert "<|reserved_special_token_" in shown  # what the model wrote
        assert all(f"-> {name}(" in shown for name in names)  # and what it called
        await pilot.press("t")
        (tokens,) = app.screen.query(".tokens")
        assert "<|reserved_special_token_" in str(tokens.render())

    run(TrajectoryApp(path), steps)


def test_tinyagent_replay_shows_the_plan_each_observation_and_the_joiners_answer(tmp_path):
    make_env = lambda: gym.make("toolgym/TinyAgentPlanner-v0", split="test")  # noqa: E731
    played = rollout(make_env, OracleAgent(), 2)
    path = tmp_path / "tinyagent.jsonl"
    append_trajectories(path, played)
    plan = played[0].messages[1]
    tools = [m["name"] for m in played[0].messages if m["role"] == "tool"]

    async def steps(app, pilot):
        await pilot.press("enter")
        shown = " ".join(str(w.render()) for w in app.screen.query(".message"))
        assert "<END_OF_PLAN>" in shown and "Action: Finish(" in shown
        assert all(f"-> {call['function']['name']}(" in shown for call in plan["tool_calls"])
        assert shown.count("Observation ") >= len(tools)

    run(TrajectoryApp(path), steps)
