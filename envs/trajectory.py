"""The trajectory record: one episode per JSON line, and the one read/write pair for it.

Every part of toolgym that stores or loads episodes (the recording wrapper, ``rollout``, the
learners, the TUI, the tests) goes through :func:`write_trajectory` / :func:`append_trajectories`
and :func:`read_trajectories`.

Schema ``toolgym.trajectory/1`` (fields of :class:`Trajectory`):

- ``schema``: the version string above.
- ``run_id``: the run that produced the episode.
- ``env_id``, ``env_kwargs``: how to rebuild the env (``gym.make(env_id, **env_kwargs)``).
- ``task_id``, ``seed``: which task, and the seed given to ``reset`` (``None`` if none was).
- ``messages``: the conversation, ``[{"role", "content", ("name")}, ...]``.
- ``reward``, ``terminated``, ``truncated``: the outcome (reward summed over the episode).
- ``metrics``: per-episode numbers and labels (turns, tool calls, the task's attribute, ...).
- ``gold``: the expected answer, where the env has one; ``demonstration``: the oracle's turns.
- ``agent``: who played; ``token_ids`` / ``loss_mask`` (optional, same length): the tokens of the
  conversation and 1 for tokens the agent generated, 0 for prompt and tool output.

Files are append-only and flushed after each episode. A process killed mid-write leaves a torn
last line, which :func:`read_trajectories` skips with a warning.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "toolgym.trajectory/1"


@dataclass
class Trajectory:
    """One recorded episode (see the module docstring for each field)."""

    env_id: str
    messages: list[dict[str, str]]
    reward: float
    terminated: bool
    truncated: bool
    run_id: str = ""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    task_id: int | None = None
    seed: int | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    gold: str | None = None
    demonstration: list[str] | None = None
    agent: str = ""
    token_ids: list[int] | None = None
    loss_mask: list[int] | None = None
    schema: str = SCHEMA

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"), default=_jsonable)

    @classmethod
    def from_json(cls, line: str) -> Trajectory:
        return cls.from_dict(json.loads(line))

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Trajectory:
        schema = record.get("schema", SCHEMA)
        if schema != SCHEMA:
            raise ValueError(f"unsupported trajectory schema {schema!r}; this toolgym reads {SCHEMA!r}")
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in known})


def append_trajectories(path: str | os.PathLike, trajectories: Iterable[Trajectory]) -> None:
    """Append records to a JSONL file, flushing after each one.

    An exclusive ``flock`` makes appends from several processes (vector-env workers) whole lines.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as file:
        for trajectory in trajectories:
            line = trajectory.to_json() + "\n"
            fcntl.flock(file, fcntl.LOCK_EX)
            try:
                file.write(line)
                file.flush()
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)


def write_trajectory(path: str | os.PathLike, trajectory: Trajectory) -> None:
    """Append one record (see :func:`append_trajectories`)."""
    append_trajectories(path, [trajectory])


def read_trajectories(path: str | os.PathLike) -> Iterator[Trajectory]:
    """Yield the records of a JSONL file, or of every ``*.jsonl`` file under a folder.

    A torn (unparsable) last line is skipped with a warning; a bad line elsewhere raises
    ``ValueError`` naming the file and line.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no trajectories at {path}")
    files = sorted(path.rglob("*.jsonl")) if path.is_dir() else [path]
    for file in files:
        yield from _read_file(file)


def _read_file(path: Path) -> Iterator[Trajectory]:
    with open(path, encoding="utf-8", errors="replace") as file:
        pending: tuple[int, str] | None = None
        for number, line in enumerate(file, start=1):
            if pending is not None:
                raise ValueError(f"{path}:{pending[0]}: not a trajectory record: {pending[1][:80]!r}")
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                pending = (number, line)
                continue
            if not isinstance(record, dict):
                raise ValueError(f"{path}:{number}: not a trajectory record")
            try:
                yield Trajectory.from_dict(record)
            except TypeError as error:
                raise ValueError(f"{path}:{number}: not a trajectory record ({error})") from None
        if pending is not None:
            warnings.warn(f"{path}:{pending[0]}: skipped a torn last line", stacklevel=3)


def _jsonable(value: Any) -> Any:
    """numpy scalars and arrays in metrics become plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
