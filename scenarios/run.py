"""Run a named study: ``python -m scenarios.run NAME [--set key=value ...] [--out DIR]``.

    python -m scenarios.run --list
    python -m scenarios.run memory_1000
    python -m scenarios.run memory_1000 --set in_weight.width=96 --set in_weight.sft.max_steps=5000
    python -m scenarios.run memory_1000 --profile paper --device cuda
    python -m scenarios.run memory_1000 --out runs/m --resume        # continue a killed run

The run folder holds config.json (resolved), results.json, trajectories/*.jsonl, tb/
(TensorBoard), checkpoints/ and figures/*.png.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scenarios.config import allowed_keys, apply_overrides, to_dict
from scenarios.registry import SCENARIOS, default_out, get_scenario


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scenarios.run",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("name", nargs="?", help="scenario to run (see --list)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and their options")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override an option")
    parser.add_argument("--out", type=Path, help="run folder (default runs/NAME-TIMESTAMP)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where to train")
    parser.add_argument("--profile", default="cpu", help="settings profile: cpu (default) or paper")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its checkpoints"
    )
    args = parser.parse_args(argv)

    if args.list or not args.name:
        for scenario in SCENARIOS.values():
            print(f"{scenario.name}: {scenario.description}")
            print(f"  profiles: {', '.join(scenario.profiles)}")
            print(f"  keys: {', '.join(allowed_keys(scenario.config('cpu')))}")
        return 0 if args.list else 2
    try:
        scenario = get_scenario(args.name)
        config = apply_overrides(scenario.config(args.profile), args.set)
    except (KeyError, ValueError) as error:
        print(f"error: {error.args[0] if isinstance(error, KeyError) else error}", file=sys.stderr)
        return 2
    if args.resume and not args.out:
        print("error: --resume needs --out, the folder of the run to continue", file=sys.stderr)
        return 2
    out = args.out or default_out(scenario.name)
    out.mkdir(parents=True, exist_ok=True)
    resolved = {"scenario": scenario.name, "profile": args.profile, "device": args.device, **to_dict(config)}
    (out / "config.json").write_text(json.dumps(resolved, indent=2))
    print(json.dumps(resolved, indent=2))
    scenario.run(config, out, device=args.device, resume=args.resume)
    return 0


if __name__ == "__main__":
    sys.exit(main())
