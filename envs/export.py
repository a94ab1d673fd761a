"""``python -m envs.export RUN_OR_FILE --out DIR``: recorded episodes as a Hugging Face dataset.

The dataset (``datasets.load_from_disk(DIR)``) has one row per episode:

- ``messages``: the chat messages as recorded, assistant turns with ``tool_calls`` (arguments as
  mappings) and ``tool`` messages with ``tool_call_id``: the conversational form TRL's
  ``SFTTrainer`` takes as is;
- ``tools``: the tools offered as JSON Schemas (the chat template's ``tools=``), ``None`` for an
  env that declares none;
- ``reward``, ``env_id``, ``task_id``, ``seed``, ``scores``, ``truncated``, ``agent``, ``run_id``.

Messages, tools and scores use ``datasets``' ``Json`` feature: tool arguments differ from one tool
to the next (``{"query": ...}``, ``{"expression": ...}``), which an Arrow struct column would pad
with the union of every tool's keys.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from envs.trajectory import Trajectory, read_trajectories


def trajectory_source(path: str | os.PathLike) -> Path:
    """What ``path`` names: a JSONL file, a folder of them, or a run folder's ``trajectories/``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no run folder or trajectories file at {path}")
    if path.is_dir() and (path / "trajectories").is_dir():
        return path / "trajectories"
    return path


def episode_row(trajectory: Trajectory) -> dict[str, Any]:
    """One dataset row of a recorded episode."""
    return {
        "messages": trajectory.messages,
        "tools": trajectory.tools,
        "reward": float(trajectory.reward),
        "env_id": trajectory.env_id,
        "task_id": trajectory.task_id,
        "seed": trajectory.seed,
        "scores": trajectory.scores,
        "truncated": trajectory.truncated,
        "agent": trajectory.agent,
        "run_id": trajectory.run_id,
    }


def export_dataset(path: str | os.PathLike, out: str | os.PathLike | None = None):
    """The episodes under ``path`` as a ``datasets.Dataset``, saved to ``out`` when given.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``path`` holds no episodes, or a damaged record (the message names its line).
    """
    from datasets import Dataset, Features, Json, List, Value

    source = trajectory_source(path)
    rows = [episode_row(t) for t in read_trajectories(source)]
    if not rows:
        raise ValueError(f"no recorded episodes under {source}")
    features = Features(
        {
            "messages": List(Json()),
            "tools": List(Json()),
            "reward": Value("float64"),
            "env_id": Value("string"),
            "task_id": Value("int64"),
            "seed": Value("int64"),
            "scores": Json(),
            "truncated": Value("bool"),
            "agent": Value("string"),
            "run_id": Value("string"),
        }
    )
    dataset = Dataset.from_list(rows, features=features)
    if out is not None:
        dataset.save_to_disk(str(out))
    return dataset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m envs.export",
        description="Write recorded episodes as a Hugging Face dataset (datasets.load_from_disk(OUT)).",
    )
    parser.add_argument("path", help="run folder, trajectories *.jsonl file, or folder of them")
    parser.add_argument("--out", required=True, help="folder to write the dataset to")
    args = parser.parse_args(argv)
    try:
        dataset = export_dataset(args.path, args.out)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(dataset):,} episodes to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
