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

import json
import sys

from scenarios.overrides import apply_overrides, print_catalogue, study_parser, to_dict
from scenarios.registry import SCENARIOS, default_out, get_scenario


def main(argv: list[str] | None = None) -> int:
    parser = study_parser("python -m scenarios.run", __doc__, "scenario", "runs/NAME-TIMESTAMP")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its checkpoints"
    )
    args = parser.parse_args(argv)

    if args.list or not args.name:
        print_catalogue(SCENARIOS.values())
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
