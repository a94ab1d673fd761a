"""Memory-grid cells per hour: cells trained together as one stack against one at a time, one run.

    python bench/memory_batched.py [--mode in_weight] [--widths 8 16 32 64] [--cells 8] [--steps 40]
                                   [--people 256] [--device cpu]

For each width, ``--cells`` in-weight (or in-tool) cells that differ in their data seed train
``--steps`` SFT steps with the grid's CPU settings (batch 64 in-weight, 32 in-tool): one at a
time through the SFT learner (``learners/sft.py``, what a grid does without ``batch_cells``), then
all together through ``learners/batched_sft.py``, with the same torch threads (one, as in a
grid's worker process: a grid runs one worker per core). Cells per hour
counts training only (a cell's evaluation is the same either way); the ratio is the speed-up.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import torch
from transformers import set_seed

from agents.model import build_model
from agents.tokenizers.memory import build_memory_tokenizer
from learners.batched_sft import train_sft_batched
from learners.sft import train_sft
from scenarios.memory.grids import _cpu_training
from scenarios.memory.study import MemoryConfig, oracle_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="in_weight", choices=["in_weight", "in_tool"])
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--cells", type=int, default=8)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--people", type=int, default=256)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (a grid worker's: 1 per core)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    tokenizer = build_memory_tokenizer()
    sft = dataclasses.replace(
        _cpu_training()[args.mode].sft, max_steps=args.steps, save_steps=10**9, logging_steps=10**9
    )
    root = Path(tempfile.mkdtemp())
    configs = [MemoryConfig(n_people=args.people, data_seed=s, ood_questions=0) for s in range(args.cells)]
    datasets = [oracle_data(c, args.mode, root / f"data{i}") for i, c in enumerate(configs)]
    print(f"{args.mode}, {args.people} people, {args.steps} steps, {args.cells} cells, "
          f"{torch.get_num_threads()} threads, {args.device}")  # fmt: skip
    print(f"{'width':>5} {'alone cells/h':>14} {'stacked cells/h':>16} {'ratio':>6}")
    for width in args.widths:

        def fresh(width: int = width):
            set_seed(0)
            return build_model(len(tokenizer), 2, 2, width)

        started = time.perf_counter()
        for i, data in enumerate(datasets):
            train_sft(
                fresh(), tokenizer, data, sft, root / f"alone-{width}-{i}", device=args.device, progress=False
            )
        alone = args.cells / (time.perf_counter() - started) * 3600
        started = time.perf_counter()
        outs = [root / f"stacked-{width}-{i}" for i in range(args.cells)]
        train_sft_batched(
            [fresh() for _ in datasets], tokenizer, datasets, sft, outs, device=args.device, progress=False
        )
        stacked = args.cells / (time.perf_counter() - started) * 3600
        print(f"{width:>5} {alone:>14.0f} {stacked:>16.0f} {stacked / alone:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
