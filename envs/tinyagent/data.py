"""Reader for TinyAgent's own data, ``training_data.json`` and ``testing_data.json``
(``squeeze-ai-lab/TinyAgent-dataset``), in the structure of its ``utils/data_utils.py``.

The file is one JSON object keyed by id; each value is::

    {"input": <the user's query>,
     "output": [{"type": "plan" | "join" | "replan", "raw_input": <chat messages>,
                 "raw_output": <the target text>, "parsed_output": ..., "id": ..., "index": ...}, ...],
     "closest_5_queries": [...]}

``parsed_output`` is the plan as ``[{"tool_name", "tool_args"}, ...]`` (a final ``join`` step
included or not) for plan and replan points, and ``{"thought", "action", "message"}`` for join
points. ``raw_input`` is the list of ``{"role", "content"}`` messages the model saw (system prompt
with the selected tools and examples, then the query); a plain string, as TinyAgent's own
dataclass types it, is read as one user message. ``closest_5_queries`` is not kept. The training
file is 734 MB, so loading it takes a few GB of memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envs.tinyagent.plans import FINISH, JOIN, REPLAN, JoinStep, Plan, PlanError, make_plan

KINDS = ("plan", "join", "replan")


@dataclass(frozen=True)
class TinyAgentExample:
    """One training point: the messages the model saw and the text it should write."""

    id: str
    """The entry's key, shared by the plan and join points of one query."""
    query: str
    kind: str
    """``"plan"``, ``"join"`` or ``"replan"``."""
    messages: list[dict]
    """``{"role", "content"}`` chat messages: the prompt."""
    target: str
    """The text the model should write (``raw_output``)."""
    parsed: Any
    """``parsed_output`` as in the file: a list of ``{"tool_name", "tool_args"}`` or a join dict."""


def load_tinyagent(path: str | Path) -> list[TinyAgentExample]:
    """Every point of a TinyAgent data file, in file order.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not JSON, or an entry is malformed (the message names its id and field).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no TinyAgent data file at {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a UTF-8 JSON file: {error}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object keyed by id, not a {type(data).__name__}")
    examples = []
    for key, entry in data.items():
        where = f"{path.name}: entry {key!r}"
        query = _field(entry, "input", str, where)
        points = _field(entry, "output", list, where)
        for number, point in enumerate(points):
            examples.append(_example(key, query, point, f"{where}, output[{number}]"))
    return examples


def _field(value: Any, name: str, kind: type, where: str) -> Any:
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a JSON object, not {type(value).__name__}")
    if name not in value:
        raise ValueError(f"{where}: the field {name!r} is missing")
    if not isinstance(value[name], kind):
        raise ValueError(f"{where}: {name!r} must be a {kind.__name__}, not {type(value[name]).__name__}")
    return value[name]


def _example(key: str, query: str, point: Any, where: str) -> TinyAgentExample:
    kind = _field(point, "type", str, where)
    if kind not in KINDS:
        raise ValueError(f"{where}: 'type' is {kind!r}; expected one of {', '.join(KINDS)}")
    raw_input = point.get("raw_input")
    if isinstance(raw_input, str):
        raw_input = [{"role": "user", "content": raw_input}]
    if not isinstance(raw_input, list) or not all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
        for m in raw_input
    ):
        raise ValueError(f"{where}: 'raw_input' must be a list of {{'role', 'content'}} messages (strings)")
    target = _field(point, "raw_output", str, where)
    if kind == "join":
        parsed = _field(point, "parsed_output", dict, where)
        for name in ("thought", "action", "message"):
            _field(parsed, name, str, f"{where}, parsed_output")
    else:
        parsed = _field(point, "parsed_output", list, where)
        for number, step in enumerate(parsed):
            _field(step, "tool_name", str, f"{where}, parsed_output[{number}]")
            _field(step, "tool_args", list, f"{where}, parsed_output[{number}]")
    return TinyAgentExample(key, query, kind, raw_input, target, parsed)


def gold_plan(example: TinyAgentExample) -> Plan:
    """The plan of a plan or replan example, from its ``parsed_output`` (join appended).

    Raises:
        ValueError: a join example.
        PlanError: a plan that breaks the grammar (a reference forward, a misplaced join ...).
    """
    if example.kind == "join":
        raise ValueError(f"example {example.id!r} is a join point; it has no plan")
    steps = list(example.parsed)
    if steps and steps[-1]["tool_name"] == JOIN:
        steps.pop()
    try:
        return make_plan([(step["tool_name"], step["tool_args"]) for step in steps])
    except PlanError as error:
        raise PlanError(f"example {example.id!r}: {error}") from None


def gold_join(example: TinyAgentExample) -> JoinStep:
    """The joiner answer of a join example.

    Raises:
        ValueError: not a join example, or an action other than Finish and Replan.
    """
    if example.kind != "join":
        raise ValueError(f"example {example.id!r} is a {example.kind} point, not a join")
    parsed = example.parsed
    if parsed["action"] not in (FINISH, REPLAN):
        raise ValueError(
            f"example {example.id!r}: the action {parsed['action']!r} is neither {FINISH} nor {REPLAN}"
        )
    return JoinStep(parsed["thought"], parsed["action"], parsed["message"])
