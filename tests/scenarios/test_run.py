"""``python -m scenarios.run``: options, errors, and a tiny memory study end to end."""

from __future__ import annotations

import json

import pytest

from envs.trajectory import read_trajectories
from scenarios.memory.study import cpu_profile
from scenarios.overrides import ConfigError, apply_overrides
from scenarios.run import main

TINY = [
    "n_people=4",
    "ood_questions=8",
    "eval_batch_size=16",
    "in_tool.width=8",
    "in_tool.sft.max_steps=6",
    "in_tool.sft.batch_size=8",
    "in_tool.sft.eval_steps=3",
    "in_tool.sft.eval_episodes=4",
    "in_tool.sft.logging_steps=3",
    "in_weight.width=8",
    "in_weight.sft.max_steps=6",
    "in_weight.sft.batch_size=8",
    "in_weight.sft.eval_steps=0",
]


def test_list_names_the_scenarios(capsys):
    assert main(["--list"]) == 0
    assert "memory_1000" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["memory_1000", "--set", "in_weight.sft.learnin_rate=1"],
            "Did you mean 'in_weight.sft.learning_rate'",
        ),
        (["memory_1000", "--set", "widht=3"], "Allowed keys: n_people"),
        (["memory_1000", "--set", "n_people=many"], "n_people expects a int"),
        (["memory_1000", "--set", "n_people"], "key=value"),
        (["memory_9"], "unknown scenario 'memory_9'; scenarios: calculator_ppo, memory_1000"),
        (["memory_1000", "--profile", "gpu"], "profile 'gpu' is not valid"),
        (["memory_1000", "--resume"], "--resume needs --out"),
    ],
)
def test_bad_options_are_clear_errors(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_overrides_reach_nested_options():
    config = apply_overrides(cpu_profile(), ["in_tool.sft.learning_rate=0.5", "query_language=sql"])
    assert config.in_tool.sft.learning_rate == 0.5 and config.query_language == "sql"
    assert cpu_profile().in_tool.sft.learning_rate != 0.5  # the profile itself is untouched
    with pytest.raises(ConfigError, match=r"in_tool is not|expects"):
        apply_overrides(cpu_profile(), ["in_tool=3"])


def test_tiny_memory_run_writes_the_run_folder(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["memory_1000", "--out", str(out), "--device", "cpu"]
    for override in TINY:
        argv += ["--set", override]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "tensorboard --logdir" in printed and "recall.png" in printed
    results = json.loads((out / "results.json").read_text())
    for mode in ("in_tool", "in_weight"):
        assert 0.0 <= results[mode]["recall"] <= 1.0 and 0.0 <= results[mode]["ood_accuracy"] <= 1.0
        assert results[mode]["params"] == 32 * 8**2 + 525 * 8 and results[mode]["steps"] == 6
        assert set(results[mode]["recall_by_attribute"]) == {
            "birth_date",
            "birth_place",
            "occupation",
            "current_address",
        }
        assert len(list(read_trajectories(out / "trajectories" / f"eval_{mode}_train.jsonl"))) == 16
        assert len(list(read_trajectories(out / "trajectories" / f"eval_{mode}_ood.jsonl"))) == 8
        assert list((out / "tb" / mode).glob("events.out.tfevents.*"))
    assert json.loads((out / "config.json").read_text())["in_tool"]["width"] == 8
    assert (out / "figures" / "recall.png").stat().st_size > 1000
    # resuming a finished run trains nothing again
    assert main([*argv, "--resume"]) == 0
    assert "already trained" in capsys.readouterr().out


def test_list_options_take_json_or_shell_friendly_lists():
    from scenarios.memory.grids import capacity_profile

    grid = apply_overrides(capacity_profile("cpu"), ["modes=[in_tool]", "widths=8,16", "people=[64, 128]"])
    assert grid.modes == ["in_tool"] and grid.widths == [8, 16] and grid.people == [64, 128]
