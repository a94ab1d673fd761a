"""``python -m scenarios.run``: options, errors, run folders, and a tiny memory study end to end."""

from __future__ import annotations

import dataclasses
import fcntl
import json
from dataclasses import dataclass, field

import pytest

from envs.checks import check_int
from envs.trajectory import read_trajectories
from scenarios.memory.study import cpu_profile
from scenarios.overrides import ConfigError, apply_overrides
from scenarios.registry import SCENARIOS
from scenarios.run import main
from scenarios.spec import Scenario

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


@dataclass
class Inner:
    steps: int = 1

    def __post_init__(self):
        check_int("steps", self.steps, minimum=0)


@dataclass
class Toy:
    """A config with the shapes the studies' configs have: nested, lists, optional text."""

    inner: Inner = field(default_factory=Inner)
    widths: list[int] = field(default_factory=lambda: [8])
    rates: list[float] = field(default_factory=lambda: [0.5])
    model: str | None = None
    seeds: list[int] | None = None


def test_list_names_the_scenarios_and_their_profiles(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "memory_1000:" in out and "calculator_ppo:" in out
    assert out.count("profiles: cpu, paper, smoke") == len(SCENARIOS)


def test_profile_help_lists_each_scenarios_profiles(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "memory_1000: cpu, paper, smoke" in help_text and "calculator_ppo: cpu, paper, smoke" in help_text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["memory_1000", "--set", "in_weight.sft.learnin_rate=1"],
            "Did you mean 'in_weight.sft.learning_rate'",
        ),
        (["memory_1000", "--set", "widht=3"], "Allowed keys: n_people"),
        (["memory_1000", "--set", "n_people=many"], "n_people expects an int, got 'many'"),
        (["memory_1000", "--set", "n_people"], "key=value"),
        (
            ["memory_9"],
            "unknown scenario 'memory_9'; scenarios: calculator_ppo, function_calling_rounds, memory_1000",
        ),
        (["memory_1000", "--profile", "gpu"], "profile 'gpu' is not valid"),
        (["memory_1000", "--resume"], "--resume needs --out"),
        (["memory_1000", "--out", "x", "--resume", "--fresh"], "--resume and --fresh exclude each other"),
    ],
)
def test_bad_options_are_clear_errors(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_overrides_reach_nested_options():
    config = apply_overrides(cpu_profile(), ["in_tool.sft.learning_rate=0.5", "query_language=sql"])
    assert config.in_tool.sft.learning_rate == 0.5 and config.query_language == "sql"
    assert cpu_profile().in_tool.sft.learning_rate != 0.5  # the profile itself is untouched
    with pytest.raises(ConfigError, match="in_tool expects a ModeConfig, got '3'"):
        apply_overrides(cpu_profile(), ["in_tool=3"])


def test_an_optional_group_of_options_is_set_key_by_key_or_as_json():
    """``sft.peft`` is None in the profile: ``peft.r=4`` starts LoRA from its defaults."""
    config = apply_overrides(
        cpu_profile(), ["in_tool.sft.peft.r=4", 'in_weight.sft.peft={"r": 2, "alpha": 4}']
    )
    assert (config.in_tool.sft.peft.r, config.in_tool.sft.peft.alpha) == (4, 16)
    assert (config.in_weight.sft.peft.r, config.in_weight.sft.peft.alpha) == (2, 4)
    with pytest.raises(ConfigError, match=r"unknown key 'in_tool\.sft\.peft\.rank'"):
        apply_overrides(cpu_profile(), ['in_tool.sft.peft={"rank": 2}'])
    with pytest.raises(ConfigError, match="r=-2 is not valid"):
        apply_overrides(cpu_profile(), ["in_tool.sft.peft.r=-2"])


def test_list_options_take_json_or_shell_friendly_lists():
    from scenarios.memory.grids import capacity_profile

    grid = apply_overrides(capacity_profile("cpu"), ["modes=[in_tool]", "widths=8,16", "people=[64, 128]"])
    assert grid.modes == ["in_tool"] and grid.widths == [8, 16] and grid.people == [64, 128]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("widths=[a,b]", "widths expects a list of int, got 'a' in '[a,b]'"),
        ("widths=[8,1.5]", "widths expects a list of int, got 1.5"),
        ("widths=8", "widths expects a list of int, got '8'"),
        ("rates=[0.1,true]", "rates expects a list of float, got True"),
        ("seeds=[0,x]", "seeds expects a list of int, got 'x'"),
        ("seeds=3", "seeds expects a list of int or null, got '3'"),
        ("widths=null", "widths expects a list of int, got null"),
        ("inner.steps=-5", "inner.steps=-5 is not valid; it must be >= 0"),
        ("inner.steps=2.5", "inner.steps expects an int, got '2.5'"),
    ],
)
def test_values_are_checked_against_the_field_type_and_the_configs_own_checks(override, message):
    with pytest.raises(ConfigError) as error:
        apply_overrides(Toy(), [override])
    assert message in str(error.value)


def test_typed_values_are_converted_as_the_field_says():
    toy = apply_overrides(Toy(), ["rates=[1,2]", "model=123", "seeds=[3]", "inner.steps=4"])
    assert toy.rates == [1.0, 2.0] and all(isinstance(r, float) for r in toy.rates)
    assert toy.model == "123" and toy.seeds == [3] and toy.inner == Inner(4)
    assert apply_overrides(toy, ["model=null", "seeds=null"]).model is None


def test_the_memory_grid_rejects_non_integer_widths_before_any_cell(tmp_path, capsys):
    from scenarios.grid import main as grid_main

    assert grid_main(["memory_capacity", "--set", "widths=[a,b]", "--out", str(tmp_path / "g")]) == 2
    assert "widths expects a list of int, got 'a'" in capsys.readouterr().err
    assert not (tmp_path / "g").exists()


def test_a_bad_ppo_option_fails_before_any_folder_or_pretraining(tmp_path, monkeypatch, capsys):
    started = []
    scenario = SCENARIOS["calculator_ppo"]
    monkeypatch.setitem(
        SCENARIOS, "calculator_ppo", dataclasses.replace(scenario, run=lambda *a, **k: started.append(a))
    )
    out = tmp_path / "run"
    assert main(["calculator_ppo", "--set", "ppo.lr_schedule=step", "--out", str(out)]) == 2
    assert "ppo.lr_schedule='step' is not valid; choose one of" in capsys.readouterr().err
    assert started == [] and not out.exists()  # no config.json, no checkpoints, no pre-training


# --- run folders ------------------------------------------------------------------------------


@pytest.fixture
def toy_scenario(monkeypatch):
    """A scenario that records its runs instead of training: ``runs`` lists (config, resume)."""
    runs = []

    def run(config, out, device="auto", resume=False):
        if config.model == "raise":
            raise ValueError("model='raise' is not valid here")
        if config.model == "crash":
            raise RuntimeError("a bug")
        runs.append((config, resume))
        (out / "results.json").write_text(json.dumps({"steps": config.inner.steps}))
        return {}

    monkeypatch.setitem(SCENARIOS, "toy", Scenario("toy", "a test scenario", {"cpu": Toy}, run))
    return runs


def test_a_run_folder_is_continued_only_with_the_settings_that_made_it(tmp_path, toy_scenario, capsys):
    out = tmp_path / "run"
    assert main(["toy", "--out", str(out), "--set", "inner.steps=2"]) == 0
    recorded = (out / "config.json").read_text()
    assert json.loads(recorded)["inner"] == {"steps": 2}

    assert main(["toy", "--out", str(out), "--set", "inner.steps=2"]) == 2  # neither --resume nor --fresh
    assert "already holds a run of toy: pass --resume" in capsys.readouterr().err

    assert (
        main(["toy", "--out", str(out), "--resume", "--set", "inner.steps=3", "--set", "widths=[8,16]"]) == 2
    )
    err = capsys.readouterr().err
    assert "was run with other settings" in err
    assert "inner.steps: 2 -> 3" in err and "widths: [8] -> [8, 16]" in err
    assert (out / "config.json").read_text() == recorded and len(toy_scenario) == 1

    assert main(["toy", "--out", str(out), "--resume", "--set", "inner.steps=2"]) == 0
    assert toy_scenario[-1][1] is True and (out / "config.json").read_text() == recorded

    (out / "config.json").write_text('{"scenario": "toy", "inn')  # killed while writing it
    assert main(["toy", "--out", str(out), "--resume"]) == 2
    assert "config.json is damaged" in capsys.readouterr().err


def test_fresh_moves_the_old_run_aside_and_starts_over(tmp_path, toy_scenario, capsys):
    out = tmp_path / "run"
    assert main(["toy", "--out", str(out)]) == 0
    assert main(["toy", "--out", str(out), "--fresh", "--set", "inner.steps=5"]) == 0
    assert "moved to" in capsys.readouterr().out
    (aside,) = tmp_path.glob("run.replaced-*")
    assert json.loads((aside / "results.json").read_text()) == {"steps": 1}
    assert json.loads((out / "config.json").read_text())["inner"] == {"steps": 5}
    assert json.loads((out / "results.json").read_text()) == {"steps": 5}


def test_a_second_run_into_a_locked_folder_is_refused(tmp_path, toy_scenario, capsys):
    out = tmp_path / "run"
    out.mkdir()
    with open(out / "run.lock", "a+") as holder:  # as a run in another process holds it
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder.write("4242")
        holder.flush()
        assert main(["toy", "--out", str(out)]) == 2
        assert "in use by another run (pid 4242)" in capsys.readouterr().err
    assert toy_scenario == []
    assert main(["toy", "--out", str(out)]) == 0  # the holder is gone: the lock is free


def test_a_crashed_run_leaves_the_folder_unlocked(tmp_path, toy_scenario):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="a bug"):  # a bug keeps its traceback
        main(["toy", "--out", str(out), "--set", "model=crash"])
    assert main(["toy", "--out", str(out), "--set", "model=crash", "--fresh", "--set", "model=null"]) == 0


def test_errors_at_run_time_are_one_line(tmp_path, toy_scenario, capsys):
    out = tmp_path / "run"
    assert main(["toy", "--out", str(out), "--set", "model=raise"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: model='raise' is not valid here") and err.count("\n") == 1
    assert "Traceback" in (out / "error.log").read_text()

    blocked = tmp_path / "file"
    blocked.write_text("")
    assert main(["toy", "--out", str(blocked / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot use --out {blocked / 'run'}") and err.count("\n") == 1


# --- the memory study end to end -----------------------------------------------------------------


def test_tiny_memory_run_writes_the_run_folder(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["memory_1000", "--profile", "smoke", "--out", str(out), "--device", "cpu"]
    for override in TINY:
        argv += ["--set", override]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "tensorboard --logdir" in printed and "recall.png" in printed
    results = json.loads((out / "results.json").read_text())
    for mode in ("in_tool", "in_weight"):
        train = list(read_trajectories(out / "trajectories" / f"eval_{mode}_train.jsonl"))
        ood = list(read_trajectories(out / "trajectories" / f"eval_{mode}_ood.jsonl"))
        assert len(train) == 16 and len(ood) == 8
        # The results are the recorded episodes' scores, not numbers from elsewhere.
        assert results[mode]["recall"] == pytest.approx(sum(t.reward for t in train) / 16)
        assert results[mode]["ood_accuracy"] == pytest.approx(sum(t.reward for t in ood) / 8)
        assert results[mode]["params"] == 32 * 8**2 + 525 * 8 and results[mode]["steps"] == 6
        assert set(results[mode]["recall_by_attribute"]) == {
            "birth_date",
            "birth_place",
            "occupation",
            "current_address",
        }
        assert list((out / "tb" / mode).glob("events.out.tfevents.*"))
    config = json.loads((out / "config.json").read_text())
    assert config["profile"] == "smoke" and config["in_tool"]["width"] == 8
    assert (out / "figures" / "recall.png").stat().st_size > 1000
    # resuming a finished run trains nothing again
    assert main([*argv, "--resume"]) == 0
    assert "already trained" in capsys.readouterr().out
