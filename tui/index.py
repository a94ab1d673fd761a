"""A lazy index over trajectory files: byte offsets first, records parsed only when needed.

Opening 100,000 episodes costs one pass over the bytes to find line starts; a row's summary
(env, task, reward, turns, length) is parsed when the list needs it, a full record when the
replay view opens it. Records are decoded with :class:`envs.trajectory.Trajectory`, the one
schema every part of toolgym shares.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from envs.trajectory import Trajectory


class NotTrajectories(ValueError):
    """The path holds no toolgym trajectories; the message says why, in one line."""


@dataclass(frozen=True)
class Summary:
    """What the episode list shows of one episode."""

    row: int
    env_id: str
    task_id: int | None
    reward: float
    turns: int
    length: int
    split: str
    agent: str
    text: str  # the messages, lower-cased, for text search


def trajectory_files(path: Path) -> list[Path]:
    """The JSONL files behind ``path``: a file, a folder of them, or a run folder (``trajectories/``)."""
    if not path.exists():
        raise NotTrajectories(f"no such file or folder: {path}")
    if path.is_file():
        return [path]
    folder = path / "trajectories" if (path / "trajectories").is_dir() else path
    files = sorted(folder.rglob("*.jsonl"))
    if not files:
        raise NotTrajectories(f"no *.jsonl trajectory files under {path}")
    return files


def _summary(row: int, record: dict) -> Summary:
    messages = record.get("messages") or []
    metrics = record.get("metrics") or {}
    kwargs = record.get("env_kwargs") or {}
    tags = record.get("tags") or {}
    task_id = record.get("task_id")
    return Summary(
        row=row,
        env_id=str(record.get("env_id", "")),
        task_id=task_id if task_id is None else int(task_id),
        reward=float(record.get("reward") or 0.0),
        turns=int(metrics.get("turns", sum(m.get("role") == "assistant" for m in messages))),
        length=sum(len(str(m.get("content", ""))) for m in messages),
        split=str(tags.get("split", metrics.get("split", kwargs.get("split", "")))),
        agent=str(record.get("agent", "")),
        text="\n".join(str(m.get("content", "")) for m in messages).lower(),
    )


def _problem_summary(row: int, problem: str) -> Summary:
    return Summary(row, problem, None, 0.0, 0, 0, "", "", "")


class EpisodeIndex:
    """Every episode of some trajectory files, addressed by row number."""

    def __init__(self, files: list[Path]):
        self.files = files
        self._entries: list[tuple[int, int, int]] = []  # (file number, start, end) of each line
        self._sizes = [0] * len(files)
        self._summaries: dict[int, Summary] = {}
        for number in range(len(files)):
            self._scan(number)
        self._check_first_record()

    def __len__(self) -> int:
        return len(self._entries)

    def refresh(self) -> int:
        """Index lines appended since the last scan (``--follow``); return how many are new."""
        before = len(self._entries)
        for number in range(len(self.files)):
            self._scan(number)
        return len(self._entries) - before

    def record(self, row: int) -> Trajectory:
        """The full record of ``row``; raises ``ValueError`` saying what is wrong with a damaged one."""
        record = self._load(row)
        if not isinstance(record, dict):
            raise ValueError(f"not a trajectory record: a JSON {type(record).__name__}, not an object")
        return Trajectory.from_dict(record)

    def summary(self, row: int) -> Summary:
        cached = self._summaries.get(row)
        if cached is None:
            cached = self._summaries[row] = self._summarise(row)
        return cached

    def summarise_all(self) -> None:
        """Parse every row's summary, reading each file once (the list's background work)."""
        data: dict[int, bytes] = {}
        for row, (number, start, end) in enumerate(self._entries):
            if row in self._summaries:
                continue
            if number not in data:
                data[number] = self.files[number].read_bytes()
            self._summaries[row] = self._summarise(row, data[number][start:end])

    def _load(self, row: int) -> dict:
        number, start, end = self._entries[row]
        with open(self.files[number], "rb") as file:
            file.seek(start)
            return json.loads(file.read(end - start))

    def where(self, row: int) -> str:
        """``file:line`` of a row, for messages about it."""
        number, start, _ = self._entries[row]
        with open(self.files[number], "rb") as file:
            line = file.read(start).count(b"\n") + 1
        return f"{self.files[number]}:{line}"

    def _summarise(self, row: int, line: bytes | None = None) -> Summary:
        try:
            record = json.loads(line) if line is not None else self._load(row)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _problem_summary(row, "(unreadable line)")
        try:
            return _summary(row, record)
        except (AttributeError, TypeError, ValueError):
            # Wrong field types: the row says so; Enter shows the reader's own message.
            return _problem_summary(row, "(bad record)")

    def _scan(self, number: int) -> None:
        """Add the complete lines written since the last scan; a torn last line waits for its end."""
        path = self.files[number]
        with open(path, "rb") as file:
            file.seek(self._sizes[number])
            data = file.read()
        position = 0
        while True:
            end = data.find(b"\n", position)
            if end < 0:
                break
            if data[position:end].strip():
                self._entries.append((number, self._sizes[number] + position, self._sizes[number] + end))
            position = end + 1
        self._sizes[number] += position

    def _check_first_record(self, lines: int = 10) -> None:
        """Refuse a file that is not trajectories at all (none of its first lines looks like a
        record); a damaged record is only its own row's problem."""
        if not self._entries:
            return
        for row in range(min(lines, len(self._entries))):
            try:
                record = self._load(row)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if isinstance(record, dict) and {"env_id", "messages"} <= record.keys():
                return
        raise NotTrajectories(f"{self.files[self._entries[0][0]]} is not a toolgym trajectories file")
