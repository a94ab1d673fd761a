"""Write the function-calling study's data to a folder (no questions asked).

    python -m envs.function_calling.generate --out data/function_calling

builds the synthetic catalogue, its xLAM-format rows and, per round and for the pretraining range,
TokMem's train/test/description files (``data.tokmem_file_names``), plus ``xlam_rows.json`` and
``manifest.json``. The env reads the folder with ``data_dir=``; TokMem's scripts read the round files.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from envs.function_calling.data import generate, parse_range, tokmem_file_names


def _ranges(text: str) -> tuple[tuple[int, int], ...]:
    try:
        return tuple(parse_range(part.strip()) for part in text.split(","))
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def _optional_range(text: str) -> tuple[int, int] | None:
    return None if text.lower() == "none" else _ranges(text)[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m envs.function_calling.generate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")
    parser.add_argument("--n-apis", type=int, default=320, help="catalogue size (default 320)")
    parser.add_argument("--samples-per-tool", type=int, default=50, help="rows per tool (default 50)")
    parser.add_argument(
        "--rounds", type=_ranges, default=((1, 50), (51, 100)), help="frequency ranges (default 1-50,51-100)"
    )
    parser.add_argument(
        "--pretrain",
        type=_optional_range,
        default=(101, 300),
        help="pretraining range or none (default 101-300)",
    )
    parser.add_argument("--train-size", type=int, default=5000, help="train samples per round (default 5000)")
    parser.add_argument("--test-size", type=int, default=500, help="test samples per range (default 500)")
    parser.add_argument(
        "--pretrain-train-size", type=int, default=20000, help="train samples of the pretraining range"
    )
    parser.add_argument(
        "--max-calls", type=int, default=4, help="most calls per sample, 0 for unlimited (default 4)"
    )
    parser.add_argument("--seed", type=int, default=0, help="catalogue order and row seed (default 0)")
    parser.add_argument(
        "--pretrain-values",
        choices=("pool", "open"),
        default="pool",
        help="pretraining rows' values: the pools' or fresh ones of each parameter's shape (default pool)",
    )
    parser.add_argument(
        "--pretrain-samples-per-tool",
        type=int,
        default=None,
        help="rows per pretraining tool (default: as the rounds')",
    )
    parser.add_argument(
        "--keep-case", action="store_true", help="do not lower-case composed parts (TokMem does)"
    )
    args = parser.parse_args(argv)

    start = time.perf_counter()
    out = generate(
        args.out,
        n_apis=args.n_apis,
        samples_per_tool=args.samples_per_tool,
        rounds=args.rounds,
        pretrain=args.pretrain,
        train_size=args.train_size,
        test_size=args.test_size,
        pretrain_train_size=args.pretrain_train_size,
        max_calls=args.max_calls or None,
        seed=args.seed,
        lowercase_later=not args.keep_case,
        pretrain_values=args.pretrain_values,
        pretrain_samples_per_tool=args.pretrain_samples_per_tool,
    )
    elapsed = time.perf_counter() - start
    ranges = [*args.rounds, *([args.pretrain] if args.pretrain else [])]
    names = [n for r in ranges for n in tokmem_file_names(*r, args.max_calls or None).values()]
    for name in [*names, "xlam_rows.json", "manifest.json"]:
        print(f"{out / name}  {(out / name).stat().st_size / 1e6:.2f} MB")
    print(f"wrote {args.n_apis} APIs x {args.samples_per_tool} samples to {out} in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
