"""The grid runner: cells, resume, failures, the Slurm job array and the memory summaries."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
from dataclasses import dataclass, field

import pytest
import torch

from envs.trajectory import read_trajectories
from learners.sft_config import SFTConfig
from scenarios.grid import SlurmOptions, main, run_grid
from scenarios.memory import grids as memory_grids
from scenarios.memory import summaries
from scenarios.memory.grids import MemoryGridConfig, ModeTraining
from scenarios.memory.summaries import smallest_reaching
from scenarios.registry import GRIDS
from scenarios.spec import GridSpec


def tiny_grid(**changes) -> MemoryGridConfig:
    sft = SFTConfig(
        learning_rate=1e-2, batch_size=4, max_steps=6, warmup_steps=1, save_steps=3, logging_steps=3
    )
    values = dict(
        people=[2, 3],
        widths=[8],
        in_tool=ModeTraining(sft),
        in_weight=ModeTraining(SFTConfig(**vars(sft))),
    )
    return MemoryGridConfig(**{**values, **changes})


@pytest.fixture
def grid_dir(tmp_path):
    """A grid folder alone in its parent: grids beside it (other tests') would lend it their cells."""
    return tmp_path / "grid"


def read_table(path):
    with open(path) as file:
        return list(csv.DictReader(file))


def test_local_grid_runs_every_cell_in_worker_processes_and_summarises(grid_dir, capsys):
    summary = run_grid(GRIDS["memory_capacity"], tiny_grid(), grid_dir, workers=2)  # device "auto"
    rows = read_table(grid_dir / "results.csv")
    assert {r["id"] for r in rows} == {
        "in_tool-n2-w8-a1-s0", "in_tool-n3-w8-a1-s0", "in_weight-n2-w8-a1-s0", "in_weight-n3-w8-a1-s0"
    }  # fmt: skip
    assert all(r["status"] == "ok" and int(r["params"]) == 32 * 64 + 525 * 8 for r in rows)
    assert summary["cells"] == 4 and summary["failed"] == 0
    assert {n["facts"] for n in summary["params_needed"]} == {8, 12}
    assert (grid_dir / "figures" / "memory_capacity.png").stat().st_size > 0
    assert json.loads((grid_dir / "summary.json").read_text()) == summary
    for row in rows:  # each cell's row is the score of the episodes in its own run folder
        episodes = list(
            read_trajectories(
                grid_dir / "cells" / row["id"] / "trajectories" / f"eval_{row['mode']}_train.jsonl"
            )
        )
        assert len(episodes) == int(row["facts"])
        assert float(row["recall"]) == pytest.approx(sum(e.reward for e in episodes) / len(episodes))
    assert "4/4 done, 0 running, 0 failed" in capsys.readouterr().out


def test_rerun_skips_finished_cells_and_retries_failed_ones(grid_dir):
    ran, failures_left = [], [1]
    real = memory_grids.run_cell

    def flaky(config, cell, out, device):
        ran.append(cell["id"])
        if cell["id"] == "in_weight-n2-w8-a1-s0" and failures_left:
            failures_left.pop()  # fails the first time only
            raise RuntimeError("out of disk")
        return real(config, cell, out, device)

    spec = dataclasses.replace(GRIDS["memory_capacity"], run_cell=flaky)  # workers=0: run in this process
    grid = tiny_grid(modes=["in_weight"])

    summary = run_grid(spec, grid, grid_dir, workers=0, device="cpu")
    assert summary["failed"] == 1  # the grid went on past the failing cell
    rows = {r["id"]: r for r in read_table(grid_dir / "results.csv")}
    assert rows["in_weight-n2-w8-a1-s0"]["status"] == "failed"
    assert "RuntimeError: out of disk" in rows["in_weight-n2-w8-a1-s0"]["error"]
    log = (grid_dir / "cells" / "in_weight-n2-w8-a1-s0" / "log.txt").read_text()
    assert "Traceback" in log and "out of disk" in log
    assert rows["in_weight-n3-w8-a1-s0"]["status"] == "ok"

    ran.clear()
    summary = run_grid(spec, grid, grid_dir, workers=0, device="cpu")
    assert ran == ["in_weight-n2-w8-a1-s0"]  # only the failed cell ran again
    assert summary["failed"] == 0

    ran.clear()
    _edit_recorded_settings(
        grid_dir, "in_weight-n3-w8-a1-s0", lambda s: s["in_weight"]["sft"].pop("assistant_only_loss")
    )
    run_grid(spec, grid, grid_dir, workers=0, device="cpu")
    assert ran == []  # recorded before an option existed, and the option is at its default: still done
    _edit_recorded_settings(
        grid_dir, "in_weight-n3-w8-a1-s0", lambda s: s["in_weight"]["sft"].update(dropout=0.1)
    )
    run_grid(spec, grid, grid_dir, workers=0, device="cpu")
    assert ran == ["in_weight-n3-w8-a1-s0"]  # trained with a setting that no longer exists: runs again

    ran.clear()
    run_grid(
        spec, tiny_grid(modes=["in_weight"], threshold=0.5, widths=[8, 16]), grid_dir, workers=0, device="cpu"
    )
    assert sorted(ran) == ["in_weight-n2-w16-a1-s0", "in_weight-n3-w16-a1-s0"]  # only the new cells ran

    ran.clear()
    changed = tiny_grid(modes=["in_weight"], people=[2])
    changed.in_weight.sft.learning_rate = 5e-3
    run_grid(spec, changed, grid_dir, workers=0, device="cpu")
    assert ran == ["in_weight-n2-w8-a1-s0"]  # a cell whose training changed runs again


def _edit_recorded_settings(grid_dir, cell_id, edit):
    path = grid_dir / "cells" / cell_id / "result.json"
    record = json.loads(path.read_text())
    settings = json.loads(record["fingerprint"])
    edit(settings)
    record["fingerprint"] = json.dumps(settings)
    path.write_text(json.dumps(record))


def test_a_sibling_grid_reuses_cells_trained_with_the_same_config(tmp_path):
    capacity = tiny_grid(modes=["in_weight"], ood_questions=4)
    run_grid(GRIDS["memory_capacity"], capacity, tmp_path / "capacity", workers=0, device="cpu")

    ran = []

    def counted(config, cell, out, device):
        ran.append(cell["id"])
        return memory_grids.run_cell(config, cell, out, device)

    spec = dataclasses.replace(GRIDS["memory_ood"], run_cell=counted)
    ood = tiny_grid(modes=["in_weight"], people=[2, 5], ood_questions=4)
    run_grid(spec, ood, tmp_path / "ood", workers=0, device="cpu")
    assert ran == ["in_weight-n5-w8-a1-s0"]  # n2 was reused; n5 is new to both grids
    rows = {r["id"]: r for r in read_table(tmp_path / "ood" / "results.csv")}
    assert rows["in_weight-n2-w8-a1-s0"]["reused_from"] == str(
        tmp_path / "capacity" / "cells" / "in_weight-n2-w8-a1-s0"
    )

    ran.clear()
    other = tiny_grid(modes=["in_weight"], people=[3], ood_questions=8)  # a different config
    run_grid(spec, other, tmp_path / "ood8", workers=0, device="cpu")
    assert ran == ["in_weight-n3-w8-a1-s0"]


def test_a_killed_cell_resumes_from_its_last_checkpoint(tmp_path):
    grid = tiny_grid(modes=["in_weight"], people=[2])
    cell = memory_grids.cells(grid)[0]
    cell_dir = tmp_path / "cells" / cell["id"]
    memory_grids.run_cell(grid, cell, cell_dir, "cpu")
    checkpoints = cell_dir / "checkpoints" / "in_weight"
    assert (checkpoints / "checkpoint-6").exists()
    # Simulate a kill after step 3: the final model and the later checkpoint are gone.
    shutil.rmtree(checkpoints / "final")
    shutil.rmtree(checkpoints / "checkpoint-6")
    row = memory_grids.run_cell(grid, cell, cell_dir, "cpu")
    state = json.loads((checkpoints / "checkpoint-6" / "trainer_state.json").read_text())
    assert state["global_step"] == 6 and row["params"] > 0


def test_slurm_dry_run_prints_job_arrays_and_submits_nothing(tmp_path, capsys):
    code = main(
        [
            "memory_capacity", "--profile", "paper", "--launcher", "slurm", "--dry-run",
            "--out", str(tmp_path),
            "--partition", "gpu", "--gpus", "1", "--time", "300", "--array-parallelism", "32",
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "7800 cells: 0 finished, 7800 to run" in out  # 15 sizes x 26 widths x 10 seeds x 2 modes
    assert "8 job array(s) of 1000, 1000, 1000, 1000, 1000, 1000, 1000, 800 tasks" in out
    for line in [
        "#SBATCH --array=0-999%32",
        "#SBATCH --partition=gpu",
        "#SBATCH --gpus-per-node=1",
        "#SBATCH --time=300",
    ]:
        assert line in out
    assert "submitit.core._submit" in out
    assert not (tmp_path / "results.csv").exists() and not (tmp_path / "slurm").exists()


def test_slurm_options_map_to_submitit_parameters():
    parameters = SlurmOptions(partition="p", gpus=2, account="lab").submitit_parameters("g")
    assert parameters == {
        "job_name": "g", "time": 240, "cpus_per_task": 4, "array_parallelism": 64,
        "gpus_per_node": 2, "partition": "p", "account": "lab",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["memory_capacty"], "unknown grid 'memory_capacty'"),
        (["memory_capacity", "--set", "widht=[8]"], "Did you mean 'widths'?"),
        (["memory_capacity", "--set", 'modes=["in_brain"]'], "modes='in_brain' is not valid"),
        (["memory_ood", "--profile", "laptop"], "profile 'laptop' is not valid"),
    ],
)
def test_bad_arguments_are_clear_errors(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_smallest_reaching_is_per_seed_then_averaged():
    def row(seed, params, recall, facts=100):
        return {
            "status": "ok",
            "mode": "in_weight",
            "facts": facts,
            "data_seed": seed,
            "params": params,
            "recall": recall,
        }

    rows = [
        row(0, 1000, 0.5), row(0, 2000, 0.96), row(0, 4000, 1.0),
        row(1, 1000, 0.97), row(1, 2000, 0.99),
        row(0, 1000, 0.2, facts=400), row(0, 2000, 0.3, facts=400),
        {"status": "failed", "mode": "in_weight", "facts": 100, "data_seed": 1},
    ]  # fmt: skip
    needed = smallest_reaching(rows, 0.95, ("mode", "facts"))
    assert needed[0] == {
        "mode": "in_weight", "facts": 100, "params_needed": 1500.0, "params_needed_itl": 1500.0,
        "seeds_reached": 2, "seeds": 2, "largest_tried": 4000,
    }  # fmt: skip
    assert needed[1]["params_needed"] is None and needed[1]["largest_tried"] == 2000
    assert needed[1]["params_needed_itl"] is None  # no seed reached it


def test_itls_rule_averages_only_the_seeds_that_reach_the_threshold():
    rows = [
        {"status": "ok", "mode": "in_weight", "facts": 100, "data_seed": seed, "params": params,
         "recall": recall}
        for seed, params, recall in [(0, 1000, 0.99), (1, 1000, 0.5), (1, 2000, 0.9), (2, 3000, 0.96)]
    ]  # fmt: skip
    (needed,) = smallest_reaching(rows, 0.95, ("mode", "facts"))
    assert needed["params_needed"] is None  # ours: seed 1 never reaches 95%
    assert needed["params_needed_itl"] == 2000.0  # itl's: the mean of seeds 0 and 2


def test_capacity_summary_fits_params_per_fact(tmp_path):
    rows = [
        {"status": "ok", "mode": mode, "facts": facts, "data_seed": 0, "params": params, "recall": 1.0}
        for mode, facts, params in [
            ("in_weight", 1000, 9000), ("in_weight", 2000, 17000), ("in_weight", 4000, 33000),
            ("in_tool", 1000, 20000), ("in_tool", 4000, 20000),
        ]
    ]  # fmt: skip
    summary = summaries.summarize_capacity(MemoryGridConfig(), rows, tmp_path / "f.png")
    assert summary["in_weight_fit"]["params_per_fact"] == pytest.approx(8.0)
    assert summary["in_weight_fit"]["intercept"] == pytest.approx(1000.0)
    # itl's fit appends (0, 0): it pulls the intercept down and the slope up.
    fit = summary["in_weight_fit_itl"]
    assert 0 < fit["intercept"] < 1000 and fit["params_per_fact"] > 8.0
    # 28*12*51 birth dates, 7 countries, 213 cities, 100 occupations: 7.8 bits per fact.
    assert summary["bits_per_fact"] == pytest.approx(7.81, abs=0.01)
    assert (tmp_path / "f.png").exists()


def test_itls_fit_on_the_papers_own_points_gives_its_published_slope(tmp_path):
    # The paper's capacity points, fed through our summary as cells that reach 95% at exactly
    # those sizes: our implementation of itl's fit must give the slope itl's code gives them.
    from scenarios.memory import paper_points

    rows = [
        {"status": "ok", "data_seed": 0, "recall": 1.0, "mode": p["mode"], "facts": p["facts"],
         "params": p["params_needed"]}
        for p in paper_points.CAPACITY
    ]  # fmt: skip
    summary = summaries.summarize_capacity(MemoryGridConfig(), rows, tmp_path / "f.png")
    assert summary["in_weight_fit_itl"]["params_per_fact"] == pytest.approx(
        paper_points.CAPACITY_FIT["params_per_fact"], abs=0.01
    )
    assert summary["in_weight_fit_itl"]["intercept"] == pytest.approx(
        paper_points.CAPACITY_FIT["intercept"], rel=0.01
    )
    assert summary["paper"]["params_needed"] == paper_points.CAPACITY  # written beside ours


def test_compressibility_summary_gives_params_needed_and_recall_per_size(tmp_path):
    rows = [
        {"status": "ok", "mode": "in_weight", "n_people": 1000, "alpha": alpha, "data_seed": 0,
         "params": params, "recall": recall}
        for alpha, params, recall in [
            (0.0, 1000, 0.97), (0.0, 2000, 1.0), (1.0, 1000, 0.4), (1.0, 2000, 0.96),
        ]
    ]  # fmt: skip
    summary = summaries.summarize_compressibility(MemoryGridConfig(), rows, tmp_path / "c.png")
    needed = {n["correlation"]: n["params_needed"] for n in summary["params_needed"]}
    assert needed == {1.0: 1000, 0.0: 2000}  # fully dependent data need the smaller model
    assert {"params": 1000, "correlation": 0.0, "recall": 0.4} in summary["recall"]
    assert (tmp_path / "c.png").exists() and (tmp_path / "c_recall.png").exists()


@pytest.mark.parametrize("profile", ["cpu", "paper"])
def test_the_grid_profiles_share_cells_and_scale_steps_with_data(profile):
    capacity, ood, compressibility = (GRIDS[name].config(profile) for name in GRIDS)
    capacity_cells = {cell["id"]: cell for cell in memory_grids.cells(capacity)}
    # At the CPU budget every OOD cell is a capacity cell with the same training, so it is reused,
    # not retrained. (The paper profile's capacity cells skip the OOD evaluation: nothing shared.)
    # The compressibility grid draws its people by itl's design at every ALPHA, 1 included: its
    # cells are its own, never a capacity cell read back under another population.
    compressibility_cells = memory_grids.cells(compressibility)
    assert {cell["design"] for cell in compressibility_cells} == {"itl"}
    assert not {cell["id"] for cell in compressibility_cells} & set(capacity_cells)
    for grid in (ood,) if profile == "cpu" else ():
        shared = [cell for cell in memory_grids.cells(grid) if cell["id"] in capacity_cells]
        assert shared, "no cell to reuse"
        for cell in shared:
            assert memory_grids.cell_config(grid, cell) == memory_grids.cell_config(
                capacity, capacity_cells[cell["id"]]
            )
    assert {c["id"] for c in memory_grids.cells(ood)} <= set(capacity_cells)  # the same models, in any case
    for grid in (capacity, ood, compressibility):
        for mode in grid.modes:
            training = getattr(grid, mode)
            assert set(training.widths or grid.widths) <= set(grid.widths)
            steps = [training.steps(n) for n in sorted(grid.people)]
            assert steps == sorted(steps) and max(steps) <= training.sft.max_steps


def test_a_mode_width_outside_the_grid_widths_is_refused(tmp_path, capsys):
    # The cpu profile trains in-tool at widths 32 and 48 only: `widths=[8,16]` alone would leave
    # those cells at 32 and 48, so it must say so rather than run another grid than asked.
    argv = ["memory_capacity", "--set", "widths=[8,16]", "--dry-run", "--out", str(tmp_path / "g")]
    assert main(argv) == 2
    assert "in_tool.widths=[32, 48] are not all in widths=[8, 16]" in capsys.readouterr().err
    assert main([*argv, "--set", "in_tool.widths=null"]) == 0
    listed = capsys.readouterr().out
    assert "in_tool-n64-w8-a1-s0" in listed and "w32" not in listed


@dataclass
class CoinGrid:
    """A grid over a study whose score is ``reward``, not ``recall``."""

    biases: list[float] = field(default_factory=lambda: [0.25, 0.75])


@dataclass
class Coin:
    bias: float


def coin_cells(grid):
    return [{"id": f"coin-{bias:g}", "bias": bias} for bias in grid.biases]


def coin_run_cell(grid, cell, out, device):
    return {"reward": cell["bias"], "tool_call_rate": 1 - cell["bias"]}


def coin_summarize(grid, rows, figure):
    return {"best": max(rows, key=lambda row: row["reward"])["id"]}


COIN = GridSpec(
    "coin", "rewards of two coins", lambda profile: CoinGrid(), coin_cells,
    lambda grid, cell: Coin(cell["bias"]), coin_run_cell, coin_summarize,
)  # fmt: skip


def test_a_grid_over_a_study_without_recall_reports_its_reward(tmp_path, capsys):
    summary = run_grid(COIN, CoinGrid(), tmp_path / "coin", workers=0)
    assert summary == {"grid": "coin", "cells": 2, "failed": 0, "best": "coin-0.75"}
    rows = {r["id"]: r for r in read_table(tmp_path / "coin" / "results.csv")}
    assert float(rows["coin-0.25"]["reward"]) == 0.25 and float(rows["coin-0.75"]["tool_call_rate"]) == 0.25
    printed = capsys.readouterr().out
    assert (
        "[coin] coin-0.25: ok (reward 0.250)" in printed and "[coin] coin-0.75: ok (reward 0.750)" in printed
    )
    assert "2/2 done, 0 running, 0 failed" in printed and "recall" not in printed
    assert run_grid(COIN, CoinGrid(biases=[0.25, 0.5]), tmp_path / "coin", workers=0)["best"] == "coin-0.5"
    assert "1 finished, 1 to run" in capsys.readouterr().out  # cells are kept by their settings


def test_the_job_array_path_runs_cells_through_submitit(grid_dir):
    # submitit's "debug" cluster runs the array's tasks in this process: the same map_array,
    # job polling and result collection as on Slurm, without a cluster.
    options = SlurmOptions(cluster="debug", poll_s=0.01)
    summary = run_grid(
        GRIDS["memory_capacity"], tiny_grid(modes=["in_weight"]), grid_dir, launcher="slurm", slurm=options
    )
    assert summary["cells"] == 2 and summary["failed"] == 0
    assert {r["status"] for r in read_table(grid_dir / "results.csv")} == {"ok"}


CRASHING_CELL = """
import os

def run_cell(config, cell, out, device):
    if cell["n_people"] == 2:
        os._exit(1)  # the worker process dies, as when the kernel kills it for memory
    return {"recall": 1.0, "params": 1}


def summarize(grid, rows, figure):
    return {}
"""


def test_a_worker_that_dies_fails_its_cell_and_the_grid_goes_on(tmp_path, monkeypatch):
    (tmp_path / "crashing_cell.py").write_text(CRASHING_CELL)
    monkeypatch.syspath_prepend(str(tmp_path))  # spawned workers get this sys.path
    import crashing_cell

    spec = dataclasses.replace(
        GRIDS["memory_capacity"], run_cell=crashing_cell.run_cell, summarize=crashing_cell.summarize
    )
    summary = run_grid(spec, tiny_grid(modes=["in_weight"], people=[2, 3, 4]), tmp_path / "grid", workers=1)
    rows = {r["id"]: r for r in read_table(tmp_path / "grid" / "results.csv")}
    assert rows["in_weight-n2-w8-a1-s0"]["status"] == "failed"
    assert "worker process died" in rows["in_weight-n2-w8-a1-s0"]["error"]
    assert rows["in_weight-n3-w8-a1-s0"]["status"] == rows["in_weight-n4-w8-a1-s0"]["status"] == "ok"
    assert summary["failed"] == 1


SLOW_CELL = """
import os, time

def run_cell(config, cell, out, device):
    (out.parent.parent / "worker.pid").write_text(str(os.getpid()))
    time.sleep(120)
    return {"recall": 1.0, "params": 1}
"""

KILLED_GRID = """
import dataclasses, sys
sys.path.insert(0, sys.argv[1])
import slow_cell
from scenarios.grid import run_grid
from scenarios.registry import GRIDS
from tests_grid_helpers import grid

if __name__ == "__main__":  # the pool's spawned workers import this file again
    spec = dataclasses.replace(GRIDS["memory_capacity"], run_cell=slow_cell.run_cell)
    run_grid(spec, grid(), __import__("pathlib").Path(sys.argv[1]) / "grid", workers=1)
"""


def test_workers_end_when_the_grid_process_is_killed(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "slow_cell.py").write_text(SLOW_CELL)
    (tmp_path / "tests_grid_helpers.py").write_text(
        "from scenarios.memory.grids import MemoryGridConfig\n"
        "def grid():\n    return MemoryGridConfig(modes=['in_weight'], people=[2], widths=[8])\n"
    )
    (tmp_path / "killed_grid.py").write_text(KILLED_GRID)
    grid = subprocess.Popen([sys.executable, str(tmp_path / "killed_grid.py"), str(tmp_path)])
    pid_file = tmp_path / "grid" / "worker.pid"
    deadline = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    worker = int(pid_file.read_text())
    grid.send_signal(signal.SIGKILL)
    grid.wait()
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker), "the worker outlived the killed grid"


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by init) counts as gone.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ")[1][0] != "Z"


def test_stacked_cells_give_the_results_of_cells_trained_one_by_one(tmp_path):
    from agents.model import load_model

    grid = tiny_grid(modes=["in_weight"], data_seeds=[0, 1])
    run_grid(GRIDS["memory_capacity"], grid, tmp_path / "alone" / "grid", workers=0)
    stacked = dataclasses.replace(grid, batch_cells=4)
    run_grid(GRIDS["memory_capacity"], stacked, tmp_path / "stacked" / "grid", workers=0)
    alone_rows = {r["id"]: r for r in read_table(tmp_path / "alone" / "grid" / "results.csv")}
    stacked_rows = read_table(tmp_path / "stacked" / "grid" / "results.csv")
    assert len(stacked_rows) == 4 and all(r["status"] == "ok" for r in stacked_rows)
    for row in stacked_rows:  # cell by cell: the same recall, the same weights
        assert row["recall"] == alone_rows[row["id"]]["recall"]
        folders = [tmp_path / run / "grid" / "cells" / row["id"] for run in ("alone", "stacked")]
        a, b = (load_model(f / "checkpoints" / "in_weight" / "final")[0] for f in folders)
        assert all(
            torch.allclose(x, y, atol=1e-5) for x, y in zip(a.parameters(), b.parameters(), strict=True)
        )
        assert "already trained" in (folders[1] / "log.txt").read_text()
    assert len(list((tmp_path / "stacked" / "grid" / "groups").glob("*.log"))) == 1


def test_cells_are_stacked_by_mode_width_and_steps_at_most_batch_cells_each():
    grid = tiny_grid(widths=[8, 16], data_seeds=[0, 1, 2], batch_cells=4)
    groups = memory_grids.group_cells(grid, memory_grids.cells(grid))
    assert sorted(len(g) for g in groups) == [2, 2, 2, 2, 4, 4, 4, 4]  # 6 cells per mode and width
    for group in groups:
        assert len({(c["mode"], c["width"]) for c in group}) == 1
    assert memory_grids.group_cells(dataclasses.replace(grid, batch_cells=1), memory_grids.cells(grid)) == []


def test_the_paper_profiles_take_itls_training_and_model_choices():
    from scenarios.memory.study import paper_profile

    for config in (memory_grids.capacity_profile("paper"), memory_grids.compressibility_profile("paper")):
        sft = config.in_weight.sft
        assert (sft.adam_beta2, sft.warmup_steps, sft.max_grad_norm, sft.precision) == (0.95, 50, 0.0, "fp32")
        assert sft.decay_norms and sft.weight_decay == 0.1
        assert (config.norm_eps, config.init) == (1e-5, "itl") and config.rope_angle_scale > 6.28
        cell = memory_grids.cells(config)[0]
        assert memory_grids.cell_config(config, cell).init == "itl"
    assert paper_profile().init == "itl" and memory_grids.capacity_profile("cpu").init == "transformers"
    with pytest.raises(ValueError, match="init="):
        tiny_grid(init="xavier")
