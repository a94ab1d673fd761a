"""Run a grid of runs, locally or on Slurm: ``python -m scenarios.grid NAME``.

    python -m scenarios.grid --list
    python -m scenarios.grid memory_capacity                         # local process pool
    python -m scenarios.grid memory_capacity --workers 4 --set 'people=[64,256]'
    python -m scenarios.grid memory_capacity --profile paper --launcher slurm \\
        --partition gpu --gpus 1 --time 240 --dry-run                # print the job array

Every cell runs into its own folder (``OUT/cells/<cell id>/``) and ends with a ``result.json``;
``OUT/results.csv`` holds one row per cell, ``OUT/summary.json`` and ``OUT/figures/`` the
aggregate. Re-running the same command skips the finished cells and retries failed or
unfinished ones (a cell killed mid-training resumes from its last checkpoint); a failing cell is
recorded with its error and does not stop the grid. A cell that a sibling grid (another folder
beside OUT) already finished with the same config is reused, not retrained.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import multiprocessing
import os
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios.overrides import ConfigError, apply_overrides, differences, print_catalogue, study_parser
from scenarios.registry import GRIDS
from scenarios.spec import GridSpec

LAUNCHERS = ("local", "slurm")


@dataclass
class SlurmOptions:
    """What each array task asks Slurm for (passed to submitit)."""

    partition: str | None = None
    time_min: int = 240
    gpus: int = 0
    cpus_per_task: int = 4
    array_parallelism: int = 64
    account: str | None = None
    max_array_size: int = 1000
    """Tasks per job array: Slurm refuses larger arrays (its MaxArraySize, 1001 by default)."""
    cluster: str = "slurm"
    """submitit's cluster: ``slurm``, or ``local`` / ``debug`` to try the array path on one machine."""
    poll_s: float = 30.0
    """Seconds between checks of the submitted tasks."""

    def submitit_parameters(self, name: str) -> dict[str, Any]:
        parameters = {
            "job_name": name,
            "time": self.time_min,
            "cpus_per_task": self.cpus_per_task,
            "array_parallelism": self.array_parallelism,
        }
        if self.gpus:
            parameters["gpus_per_node"] = self.gpus
        if self.partition:
            parameters["partition"] = self.partition
        if self.account:
            parameters["account"] = self.account
        return parameters


def run_grid(
    spec: GridSpec,
    config: Any,
    out: Path,
    launcher: str = "local",
    workers: int | None = None,
    device: str = "auto",
    slurm: SlurmOptions | None = None,
    dry_run: bool = False,
) -> dict[str, Any] | None:
    """Run the grid's unfinished cells, then write the table and the summary; return the summary."""
    out = out.resolve()
    if launcher not in LAUNCHERS:
        raise ConfigError(f"launcher {launcher!r} is not valid; choose one of {', '.join(LAUNCHERS)}")
    all_cells = spec.cells(config)
    settings = {cell["id"]: spec.cell_config(config, cell) for cell in all_cells}
    todo = [cell for cell in all_cells if not _finished(out, cell, settings[cell["id"]])]
    reused = [cell for cell in todo if _reuse(out, cell, settings[cell["id"]], dry_run)]
    todo = [cell for cell in todo if cell not in reused]
    finished = len(all_cells) - len(todo) - len(reused)
    borrowed = f"{len(reused)} reused from sibling grids, " if reused else ""
    print(f"[{spec.name}] {len(all_cells)} cells: {finished} finished, {borrowed}{len(todo)} to run -> {out}")
    if dry_run:
        if launcher == "slurm":
            slurm = slurm or SlurmOptions()
            sizes = [len(chunk) for chunk in _chunks(todo, slurm.max_array_size)]
            print(f"{len(sizes)} job array(s) of {', '.join(map(str, sizes))} tasks; the first:")
            print(slurm_script(spec.name, out, sizes[0] if sizes else 0, slurm))
        shown = 20
        for cell in todo[:shown]:
            print(f"  {cell['id']}")
        if len(todo) > shown:
            print(f"  ... and {len(todo) - shown} more")
        return None
    out.mkdir(parents=True, exist_ok=True)
    (out / "grid.json").write_text(json.dumps({"grid": spec.name, **dataclasses.asdict(config)}, indent=2))
    if todo:
        _train_groups(spec, config, todo, out, launcher, workers, device)
        jobs = [(spec, config, cell, str(out), _fingerprint(settings[cell["id"]]), device) for cell in todo]
        if launcher == "slurm":
            _run_slurm(spec, jobs, out, slurm or SlurmOptions())
        else:
            _run_local(spec, jobs, workers)
    rows = write_table(out, all_cells)
    failed = [r for r in rows if r["status"] != "ok"]
    summary = {
        "grid": spec.name,
        "cells": len(rows),
        "failed": len(failed),
        **spec.summarize(config, rows, out / "figures" / f"{spec.name}.png"),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    print(f"table: {out / 'results.csv'}\nfigure: {out / 'figures' / f'{spec.name}.png'}")
    if failed:
        print(
            f"{len(failed)} cells failed (their errors are in results.csv); re-run the command to retry them"
        )
    return summary


def run_one_cell(
    spec: GridSpec, config: Any, cell: dict[str, Any], out: str, fingerprint: str, device: str
) -> dict[str, Any]:
    """Run one cell and record its result, or its error, in ``cells/<id>/result.json``.

    The cell's own output (training logs) goes to ``cells/<id>/log.txt``, so the grid's progress
    lines stay readable. Runs in a worker process (or a Slurm task): ``spec`` travels pickled,
    its functions by reference.
    """
    cell_dir = Path(out) / "cells" / cell["id"]
    cell_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(cell_dir / "log.txt", "a") as log, redirect_stdout(log), redirect_stderr(log):
        try:
            row = {**cell, "status": "ok", **spec.run_cell(config, cell, cell_dir, device)}
        except Exception as error:  # a failing cell is recorded, it does not stop the grid
            row = {**cell, "status": "failed", "error": f"{type(error).__name__}: {error}"}
            traceback.print_exc()
    row["seconds"] = time.perf_counter() - started
    _write_result(cell_dir, row, fingerprint)
    return row


def run_group(spec: GridSpec, config: Any, group: list[dict[str, Any]], out: str, device: str) -> str:
    """Train one group's models together (``spec.train_group``); return a line saying how it went.

    The output goes to ``OUT/groups/<first cell id>.log``; a failing group is reported, and its
    cells then train one by one when they run.
    """
    log_path = Path(out) / "groups" / f"{group[0]['id']}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log_path, "a") as log, redirect_stdout(log), redirect_stderr(log):
        try:
            spec.train_group(config, group, Path(out), device)
            status = "trained"
        except Exception as error:  # the cells fall back to training one by one
            status = f"failed ({type(error).__name__}: {error}); its cells train one by one"
            traceback.print_exc()
    minutes = (time.perf_counter() - started) / 60
    stack = f"stack of {len(group)} from {group[0]['id']}"
    return f"[{spec.name}] {stack}: {status} in {minutes:.1f} min ({log_path})"


def _train_groups(
    spec: GridSpec, config: Any, todo: list[dict[str, Any]], out: Path, launcher: str, workers: int | None,
    device: str,
) -> None:  # fmt: skip
    """Train the models of the cells the spec groups, a stack per group, before the cells run.

    Local only: under Slurm each cell trains in its own task.
    """
    if spec.group_cells is None or spec.train_group is None or launcher != "local":
        return
    groups = spec.group_cells(config, todo)
    if not groups:
        return
    print(f"[{spec.name}] training the models of {sum(map(len, groups))} cells in {len(groups)} stacks")
    jobs = [(spec, config, group, str(out), device) for group in groups]
    if workers == 0:
        for job in jobs:
            print(run_group(*job), flush=True)
        return
    try:
        with _worker_pool(workers or _default_workers()) as pool:
            for line in pool.map(run_group, *zip(*jobs, strict=True)):
                print(line, flush=True)
    except BrokenProcessPool:  # a worker died: the cells not trained yet train one by one
        print(f"[{spec.name}] a stack's worker died (out of memory or killed); its cells train one by one")


def write_table(out: Path, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Collect every cell's result into ``results.csv`` (cells never run are listed as pending)."""
    rows = []
    for cell in cells:
        path = out / "cells" / cell["id"] / "result.json"
        rows.append(json.loads(path.read_text())["row"] if path.exists() else {**cell, "status": "pending"})
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with open(out / "results.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def slurm_script(name: str, out: Path, n_tasks: int, slurm: SlurmOptions) -> str:
    """The sbatch script submitit would submit for ``n_tasks`` array tasks."""
    # submitit has no public dry run and its executor refuses to start without `srun`; this is
    # the function its SlurmExecutor renders the script with, given the same parameters.
    from submitit.slurm.slurm import _make_sbatch_string

    command = f"{sys.executable} -u -m submitit.core._submit {out / 'slurm'}"
    return _make_sbatch_string(
        command=command, folder=out / "slurm" / "%j", map_count=n_tasks, **slurm.submitit_parameters(name)
    )


class _Progress:
    def __init__(self, name: str, total: int, headline: str = "reward"):
        self.name, self.total, self.done, self.failed = name, total, 0, 0
        self.headline = headline
        self.started = time.perf_counter()

    def finished(self, row: dict[str, Any]) -> None:
        self.done += 1
        self.failed += row["status"] != "ok"
        if row["status"] != "ok":
            detail = row["error"]
        elif isinstance(row.get(self.headline), int | float):
            detail = f"{self.headline} {row[self.headline]:.3f}"
        else:
            detail = f"no {self.headline!r} in the result"
        print(f"[{self.name}] {row['id']}: {row['status']} ({detail})")

    def show(self, running: int) -> None:
        minutes = (time.perf_counter() - self.started) / 60
        print(
            f"[{self.name}] {self.done}/{self.total} done, {running} running, {self.failed} failed, "
            f"{self.total - self.done - running} waiting ({minutes:.1f} min)",
            flush=True,
        )


def _run_local(spec: GridSpec, jobs: list[tuple], workers: int | None) -> None:
    """A process pool sized to the machine; ``workers=0`` runs the cells in this process."""
    progress = _Progress(spec.name, len(jobs), spec.headline)
    if workers == 0:
        for job in jobs:
            progress.show(1)
            progress.finished(run_one_cell(*job))
        progress.show(0)
        return
    workers = workers or _default_workers()
    pending = list(jobs)
    while pending:
        with _worker_pool(workers) as pool:
            futures = {pool.submit(run_one_cell, *job): job for job in pending}
            pending = []
            progress.show(min(workers, len(futures)))
            try:
                while futures:
                    done, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for future in done:
                        progress.finished(future.result())  # raises BrokenProcessPool if a worker died
                        del futures[future]
                    progress.show(min(workers, len(futures)))
            except BrokenProcessPool:
                # A worker died (out of memory, killed): its cells are recorded as failed, the
                # others are run again in a fresh pool.
                for future, job in futures.items():
                    if future.done() and not future.exception():
                        progress.finished(future.result())
                    else:
                        pending.append(job)
                # Which cell killed the pool is unknown: the ones that were running are failed.
                for job in pending[:workers]:
                    _record_failure(job, "the worker process died (out of memory or killed)", progress)
                pending = pending[workers:]


def _default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _worker_pool(workers: int) -> ProcessPoolExecutor:
    """``workers`` processes sharing the cores' torch threads between them."""
    threads = max(1, (os.cpu_count() or 1) // workers)
    # spawn, not fork: torch's thread pools do not survive a fork.
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(threads,),
    )


def _record_failure(job: tuple, error: str, progress: _Progress) -> None:
    _, _, cell, out, fingerprint, _ = job
    row = {**cell, "status": "failed", "error": error}
    _write_result(Path(out) / "cells" / cell["id"], row, fingerprint)
    progress.finished(row)


def _run_slurm(spec: GridSpec, jobs: list[tuple], out: Path, slurm: SlurmOptions) -> None:
    """One submitit job array; waits for it, showing the cells done / running / failed."""
    import submitit

    name = spec.name
    executor = submitit.AutoExecutor(folder=out / "slurm" / "%j", cluster=slurm.cluster)
    parameters = slurm.submitit_parameters(name)
    executor.update_parameters(
        name=parameters.pop("job_name"),
        timeout_min=parameters.pop("time"),
        slurm_array_parallelism=parameters.pop("array_parallelism"),
        **{f"slurm_{key}": value for key, value in parameters.items()},
    )
    waiting = {}
    for chunk in _chunks(jobs, slurm.max_array_size):
        submitted = executor.map_array(run_one_cell, *zip(*chunk, strict=True))
        print(f"[{name}] submitted job array {submitted[0].job_id.split('_')[0]} ({len(submitted)} tasks)")
        waiting.update(zip(submitted, chunk, strict=True))
    progress = _Progress(spec.name, len(waiting), spec.headline)
    while waiting:
        time.sleep(slurm.poll_s)
        for job in [j for j in waiting if j.done()]:
            grid_job = waiting.pop(job)
            try:
                progress.finished(job.result())
            except Exception as error:  # the task itself died (time limit, node failure)
                _record_failure(grid_job, f"slurm task failed: {error}", progress)
        running = sum(job.state == "RUNNING" for job in waiting)
        progress.show(running)


def _chunks(items: list, size: int) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _init_worker(threads: int) -> None:
    """Pin the worker's torch threads, and end the worker when the grid process dies.

    A pool's workers outlive a grid killed with SIGKILL and would go on writing into cells that
    the re-run grid starts again; each worker watches its parent and exits when it is gone.
    """
    import threading

    import torch

    torch.set_num_threads(threads)
    parent = os.getppid()

    def exit_with_parent() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=exit_with_parent, daemon=True).start()


def _fingerprint(settings: Any) -> str:
    """What a cell's result depends on, recorded beside it: its own settings, not the grid's other
    cells or its summary options, so adding widths or changing the threshold reruns nothing."""
    return json.dumps(dataclasses.asdict(settings), sort_keys=True)


def _finished(out: Path, cell: dict[str, Any], settings: Any) -> bool:
    path = out / "cells" / cell["id"] / "result.json"
    if not path.exists():
        return False
    record = json.loads(path.read_text())
    return record["row"]["status"] == "ok" and not differences(json.loads(record["fingerprint"]), settings)


def _reuse(out: Path, cell: dict[str, Any], settings: Any, dry_run: bool) -> bool:
    """Take a cell another grid beside ``out`` finished with the same config, rather than retrain it.

    Grids share cells (the OOD grid's models are a subset of the capacity grid's): the row is
    copied with ``reused_from`` naming the folder that holds the model, checkpoints and logs.
    """
    for sibling in sorted(out.parent.glob(f"*/cells/{cell['id']}")):
        if sibling.parent.parent == out or not _finished(sibling.parent.parent, cell, settings):
            continue
        if not dry_run:
            row = json.loads((sibling / "result.json").read_text())["row"]
            _write_result(
                out / "cells" / cell["id"], {**row, "reused_from": str(sibling)}, _fingerprint(settings)
            )
        return True
    return False


def _write_result(cell_dir: Path, row: dict[str, Any], fingerprint: str) -> None:
    cell_dir.mkdir(parents=True, exist_ok=True)
    temporary = cell_dir / "result.json.tmp"
    temporary.write_text(json.dumps({"row": row, "fingerprint": fingerprint}, indent=2))
    temporary.replace(cell_dir / "result.json")  # atomic: a killed grid never leaves half a result


def main(argv: list[str] | None = None) -> int:
    parser = study_parser(
        "python -m scenarios.grid", __doc__, "grid", "runs/grids/NAME-PROFILE", GRIDS.values()
    )
    parser.add_argument("--launcher", default="local", choices=LAUNCHERS)
    parser.add_argument(
        "--workers", type=int, help="local processes (default: one per CPU core; 0: this process)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would run (the sbatch script for slurm)"
    )
    group = parser.add_argument_group("slurm (--launcher slurm)")
    defaults = SlurmOptions()
    group.add_argument("--partition", help="Slurm partition")
    group.add_argument("--account", help="Slurm account")
    group.add_argument(
        "--max-array-size", type=int, default=defaults.max_array_size, help="tasks per job array"
    )
    group.add_argument("--time", type=int, default=defaults.time_min, help="minutes per cell")
    group.add_argument("--gpus", type=int, default=defaults.gpus, help="GPUs per cell")
    group.add_argument("--cpus-per-task", type=int, default=defaults.cpus_per_task)
    group.add_argument(
        "--array-parallelism", type=int, default=defaults.array_parallelism, help="cells running at once"
    )
    args = parser.parse_args(argv)

    if args.list or not args.name:
        print_catalogue(GRIDS.values())
        return 0 if args.list else 2
    try:
        if args.name not in GRIDS:
            raise ConfigError(f"unknown grid {args.name!r}; grids: {', '.join(sorted(GRIDS))}")
        spec = GRIDS[args.name]
        config = apply_overrides(spec.config(args.profile), args.set)
        spec.cells(config)  # checks the axes' values
    except (ConfigError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    slurm = SlurmOptions(
        partition=args.partition,
        time_min=args.time,
        gpus=args.gpus,
        cpus_per_task=args.cpus_per_task,
        array_parallelism=args.array_parallelism,
        account=args.account,
        max_array_size=args.max_array_size,
    )
    out = args.out or Path("runs") / "grids" / f"{spec.name}-{args.profile}"
    try:
        run_grid(spec, config, out, args.launcher, args.workers, args.device, slurm, args.dry_run)
    except OSError as error:  # a folder that cannot be written: one line, not a traceback
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
