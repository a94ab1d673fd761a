"""The function-calling study's two speed figures, each in one run.

    python bench/function_calling.py [--repeats 3]

- Data: ``envs.function_calling.data.generate`` for 100 tools x 50 samples (two rounds of 50,
  TokMem's default files), seconds per run, against the same rows generated without the recipe
  or files (the generator's own share).
- Padding mask: one SFT step of the study's base model (width 64, 3 layers) on a right-padded
  batch of 16 x ~465 tokens, with the padding mask (what ``Trainer`` passes by default) and
  without it (what :class:`learners.sft.EnvEvalTrainer` does: right padding under a causal mask
  cannot reach a real token), as a ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def data_seconds(repeats: int) -> tuple[float, float]:
    from envs.function_calling.apis import catalogue
    from envs.function_calling.data import generate, generate_rows

    full, rows = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            generate(
                Path(folder), n_apis=101, samples_per_tool=50, rounds=((1, 50), (51, 100)), pretrain=None
            )
            full.append(time.perf_counter() - start)
        start = time.perf_counter()
        generate_rows(catalogue(101), samples_per_tool=50)
        rows.append(time.perf_counter() - start)
    return min(full), min(rows)


def step_seconds(mask: bool, repeats: int) -> float:
    import torch

    from agents.model import build_model

    torch.manual_seed(0)
    model = build_model(512, layers=3, heads=4, width=64, tie_embeddings=True, max_length=2048)
    optimizer = torch.optim.AdamW(model.parameters(), 1e-3)
    lengths = torch.randint(300, 630, (16,))
    ids = torch.randint(0, 500, (16, int(lengths.max())))
    attention = (torch.arange(ids.shape[1])[None, :] < lengths[:, None]).long()
    labels = ids.masked_fill(attention == 0, -100)
    times = []
    for _ in range(repeats + 1):  # the first step warms up
        start = time.perf_counter()
        loss = model(input_ids=ids, labels=labels, attention_mask=attention if mask else None).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        times.append(time.perf_counter() - start)
    return min(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    full, rows = data_seconds(args.repeats)
    print(
        f"data, 100 tools x 50 samples: {full:.2f} s with the recipe and files ({rows:.2f} s the rows alone)"
    )
    with_mask, without = step_seconds(True, args.repeats), step_seconds(False, args.repeats)
    print(
        f"SFT step, 16 x ~465 tokens: {with_mask:.3f} s with the padding mask, {without:.3f} s without "
        f"({with_mask / without:.1f}x)"
    )


if __name__ == "__main__":
    main()
