"""Run a named study: ``python -m scenarios.run NAME [--set key=value ...] [--out DIR]``.

    python -m scenarios.run --list
    python -m scenarios.run memory_1000
    python -m scenarios.run memory_1000 --profile smoke               # about a minute, end to end
    python -m scenarios.run memory_1000 --set in_weight.width=96 --set in_weight.sft.max_steps=5000
    python -m scenarios.run memory_1000 --profile paper --device cuda
    python -m scenarios.run memory_1000 --out runs/m --resume        # continue a killed run
    python -m scenarios.run memory_1000 --out runs/m --fresh         # start runs/m over

The run folder holds config.json (what produced it, written once), results.json,
trajectories/*.jsonl, tb/ (TensorBoard), checkpoints/ and figures/*.png. A folder that holds a
run is continued only with --resume and the same settings, or started over with --fresh (the old
contents move to a sibling folder ``<out>.replaced-<time>``); run.lock keeps a second run out
while one is writing.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from scenarios.overrides import ConfigError, apply_overrides, differences, print_catalogue, study_parser
from scenarios.registry import SCENARIOS, default_out, get_scenario

LOCK = "run.lock"


def main(argv: list[str] | None = None) -> int:
    parser = study_parser(
        "python -m scenarios.run", __doc__, "scenario", "runs/NAME-TIMESTAMP", SCENARIOS.values()
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its checkpoints"
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="start the run in --out over: its old contents move to <out>.replaced-<time>",
    )
    args = parser.parse_args(argv)

    if args.list or not args.name:
        print_catalogue(SCENARIOS.values())
        return 0 if args.list else 2
    try:
        scenario = get_scenario(args.name)
        config = apply_overrides(scenario.config(args.profile), args.set)
        if (args.resume or args.fresh) and not args.out:
            raise ConfigError(f"--{'resume' if args.resume else 'fresh'} needs --out, the folder of the run")
        if args.resume and args.fresh:
            raise ConfigError("--resume and --fresh exclude each other: continue the run or start it over")
    except (KeyError, ConfigError) as error:
        print(f"error: {error.args[0] if isinstance(error, KeyError) else error}", file=sys.stderr)
        return 2
    out = args.out or default_out(scenario.name)
    resolved = {"scenario": scenario.name, "profile": args.profile, "device": args.device}
    resolved.update(dataclasses.asdict(config))
    try:
        lock = prepare_folder(out, scenario.name, config, resolved, args.resume, args.fresh)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot use --out {out}: {error.strerror or error}", file=sys.stderr)
        return 2
    with lock:
        print(json.dumps(resolved, indent=2))
        try:
            scenario.run(config, out, device=args.device, resume=args.resume)
        except (ValueError, OSError) as error:
            # A bad value the config's checks could not see (a device that is not there, a model
            # path that does not exist): one line, with the traceback kept in the folder for a bug.
            log = out / "error.log"
            log.write_text(traceback.format_exc())
            print(f"error: {error} (traceback in {log})", file=sys.stderr)
            return 1
    return 0


def prepare_folder(out: Path, name: str, config: Any, resolved: dict[str, Any], resume: bool, fresh: bool):
    """Lock ``out`` for this run and make it hold ``resolved`` as its ``config.json``; return the
    open lock file (the lock lasts while it is open).

    Refused, with a ConfigError, when another run holds the lock, when ``out`` holds a run and
    neither ``resume`` nor ``fresh`` is given, and when ``resume`` would continue it with other
    settings (the differences named). Under ``accelerate launch`` only the first process locks
    and checks; the others only run.
    """
    from learners.common import is_main_process

    if not is_main_process():
        return open(os.devnull)
    out.mkdir(parents=True, exist_ok=True)
    lock = open(out / LOCK, "a+")
    try:
        # flock, not a pid file: the kernel drops the lock when the process ends, crash or kill.
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "unknown"
        lock.close()
        raise ConfigError(
            f"{out} is in use by another run (pid {holder}); wait for it or choose another --out"
        ) from None
    lock.truncate(0)
    lock.write(str(os.getpid()))
    lock.flush()
    try:
        if fresh:
            _move_aside(out)
        elif (out / "config.json").exists():
            _check_same_run(out, name, config, resume)
            return lock
        (out / "config.json").write_text(json.dumps(resolved, indent=2))
    except BaseException:
        lock.close()
        raise
    return lock


def _check_same_run(out: Path, name: str, config: Any, resume: bool) -> None:
    """A ConfigError unless ``out``'s recorded run is to be resumed with the same settings."""
    try:
        recorded = json.loads((out / "config.json").read_text())
    except json.JSONDecodeError as error:
        raise ConfigError(f"{out / 'config.json'} is damaged ({error}); pass --fresh to start over") from None
    if not resume:
        raise ConfigError(
            f"{out} already holds a run of {recorded.get('scenario')}: pass --resume to continue it, "
            "--fresh to start it over, or choose another --out"
        )
    changed = (
        [] if recorded.get("scenario") == name else [f"scenario: {recorded.get('scenario')!r} -> {name!r}"]
    )
    # The device may change (a run started on a CPU continues on a GPU); the settings may not.
    settings = {key: value for key, value in recorded.items() if key not in ("scenario", "profile", "device")}
    changed += differences(settings, config)
    if changed:
        raise ConfigError(
            f"{out} was run with other settings; --resume continues only the same run:\n  "
            + "\n  ".join(changed)
            + "\nrun without the changes, or pass --fresh instead of --resume to start it over"
        )


def _move_aside(out: Path) -> None:
    """Move everything in ``out`` but the lock into the sibling folder ``<out>.replaced-<time>``."""
    entries = [entry for entry in out.iterdir() if entry.name != LOCK]
    if not entries:
        return
    aside = out.with_name(f"{out.name}.replaced-{time.strftime('%Y%m%d-%H%M%S')}")
    aside.mkdir()
    for entry in entries:
        entry.rename(aside / entry.name)
    print(f"--fresh: the old contents of {out} moved to {aside}")


if __name__ == "__main__":
    sys.exit(main())
