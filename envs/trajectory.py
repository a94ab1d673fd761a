"""The trajectory record: one episode per JSON line, and the one read/write pair for it.

Every part of toolgym that stores or loads episodes (the recording wrapper, ``rollout``, the
learners, the TUI, the exporter, the tests) goes through :func:`write_trajectory` /
:func:`append_trajectories` and :func:`read_trajectories`.

Schema ``toolgym.trajectory/2`` (fields of :class:`Trajectory`):

- ``schema``: the version string above.
- ``run_id``: the run that produced the episode.
- ``env_id``, ``env_kwargs``: how to rebuild the env (``gym.make(env_id, **env_kwargs)``).
- ``task_id``, ``seed``: which task, and the seed given to ``reset`` (``None`` if none was).
- ``messages``: the conversation in the field's chat form: ``{"role", "content"}``, plus
  ``"name"`` for tool answers and env feedback. An assistant turn that calls tools keeps the
  study's own text in ``content`` and also carries OpenAI/HF-style ``tool_calls``
  (``[{"id", "type": "function", "function": {"name", "arguments": {...}}}]``, arguments as a
  mapping); a tool's answer is a ``tool`` message with the ``tool_call_id`` it answers.
- ``tools``: the tools offered, as JSON Schemas (the ``tools=`` list a Hugging Face chat template
  takes), or ``None`` when the env declares none.
- ``reward``, ``terminated``, ``truncated``: the outcome (reward summed over the episode).
- ``scores``: named per-episode scores (``{"correct": 1.0}``; a study may have several).
- ``step``, ``round``, ``tags``: where in a training run the episode was played (a PPO step, a
  round of tools) and free-form labels (``{"split": "ood"}``); ``None`` / ``{}`` when unused.
- ``metrics``: per-episode counters and the task's labels (turns, tool calls, attribute, ...).
- ``gold``: the expected answer, where the env has one; ``demonstration``: the oracle's turns,
  recorded only when asked for (a demonstration may cost a teacher model's generation).
- ``agent``: who played.
- ``token_ids``, ``tokens``, ``loss_mask`` (optional, same length): the conversation's token ids,
  each token's text, and 1 for tokens the agent generated, 0 for prompt and tool output;
  ``tokenizer``: where that tokenizer came from (a path or a name), when known.

Version 1 files (written before the fields ``tools`` .. ``tags`` and ``tokens`` existed, with a
PPO step encoded in ``run_id`` as ``ppo-step<n>``) are read as version 2 records.

Files are append-only and flushed after each episode. A process killed mid-write leaves a torn
last line, which :func:`read_trajectories` skips with a warning and the next append cuts off.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "toolgym.trajectory/2"
SCHEMA_V1 = "toolgym.trajectory/1"
_V1_PPO_STEP = re.compile(r"ppo-step(\d+)")


@dataclass
class Trajectory:
    """One recorded episode (see the module docstring for each field)."""

    env_id: str
    messages: list[dict[str, Any]]
    reward: float
    terminated: bool
    truncated: bool
    run_id: str = ""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    task_id: int | None = None
    seed: int | None = None
    tools: list[dict[str, Any]] | None = None
    scores: dict[str, float] = field(default_factory=dict)
    step: int | None = None
    round: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    gold: str | None = None
    demonstration: list[str] | None = None
    agent: str = ""
    token_ids: list[int] | None = None
    tokens: list[str] | None = None
    loss_mask: list[int] | None = None
    tokenizer: str | None = None
    schema: str = SCHEMA

    def to_json(self) -> str:
        # ensure_ascii=False: "Zoë" stays readable in the file (lone surrogates are escaped on write).
        return json.dumps(
            dataclasses.asdict(self), separators=(",", ":"), ensure_ascii=False, default=_jsonable
        )

    @classmethod
    def from_json(cls, line: str) -> Trajectory:
        return cls.from_dict(json.loads(line))

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Trajectory:
        """A record of this schema or of version 1; raises ``ValueError`` on anything else."""
        schema = record.get("schema", SCHEMA)
        if schema == SCHEMA_V1:
            record = _from_v1(record)
        elif schema != SCHEMA:
            raise ValueError(
                f"unsupported trajectory schema {schema!r}; this toolgym reads {SCHEMA!r} and {SCHEMA_V1!r}"
            )
        known = {f.name: f for f in dataclasses.fields(cls)}
        missing = [n for n, f in known.items() if _required(f) and n not in record]
        if missing:
            raise ValueError(f"not a trajectory record: missing {', '.join(missing)}")
        trajectory = cls(**{k: v for k, v in record.items() if k in known})
        trajectory._check_types()
        return trajectory

    def _check_types(self) -> None:
        """Raise ``ValueError`` naming the first field whose value has the wrong type."""
        checks = {
            "env_id": (str,),
            "messages": (list,),
            "reward": (int, float),
            "terminated": (bool,),
            "truncated": (bool,),
            "scores": (dict,),
            "tags": (dict,),
            "metrics": (dict,),
        }
        for name, types in checks.items():
            value = getattr(self, name)
            if not isinstance(value, types) or (types == (int, float) and isinstance(value, bool)):
                raise ValueError(f"not a trajectory record: {name} is {type(value).__name__}")
        for k, message in enumerate(self.messages):
            if not isinstance(message, dict) or not isinstance(message.get("content", ""), str):
                raise ValueError(f"not a trajectory record: messages[{k}] is not a chat message")


def _required(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _from_v1(record: dict[str, Any]) -> dict[str, Any]:
    """A version-1 record as version 2: the PPO step moves out of ``run_id`` into ``step``."""
    record = {**record, "schema": SCHEMA}
    match = _V1_PPO_STEP.fullmatch(str(record.get("run_id", "")))
    if match and record.get("step") is None:
        record["step"] = int(match.group(1))
    return record


def append_trajectories(path: str | os.PathLike, trajectories: Iterable[Trajectory]) -> None:
    """Append records to a JSONL file, flushing after each one.

    An exclusive ``flock`` makes appends from several processes (vector-env workers) whole lines.
    A torn last line left by a killed writer is cut off first, so the new record starts a line of
    its own and the file stays readable.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as file:
        for trajectory in trajectories:
            # A lone surrogate (an agent's broken text) cannot be UTF-8; it only occurs inside a
            # JSON string, where "backslashreplace" writes the same \udxxx escape json would.
            line = (trajectory.to_json() + "\n").encode("utf-8", "backslashreplace")
            fcntl.flock(file, fcntl.LOCK_EX)
            try:
                _cut_torn_tail(file)
                file.write(line)
                file.flush()
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)


def _cut_torn_tail(file) -> None:
    """Truncate an unterminated last line (a writer killed mid-record) of a file opened ``a+b``."""
    size = file.seek(0, os.SEEK_END)
    if size == 0:
        return
    file.seek(size - 1)
    if file.read(1) == b"\n":
        return
    # Walk back to the end of the last complete line.
    position = size
    while position > 0:
        start = max(0, position - 65536)
        file.seek(start)
        chunk = file.read(position - start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            file.truncate(start + newline + 1)
            return
        position = start
    file.truncate(0)


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
            except (TypeError, ValueError) as error:
                raise ValueError(f"{path}:{number}: {error}") from None
        if pending is not None:
            warnings.warn(f"{path}:{pending[0]}: skipped a torn last line", stacklevel=3)


def _jsonable(value: Any) -> Any:
    """numpy scalars and arrays in metrics become plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
