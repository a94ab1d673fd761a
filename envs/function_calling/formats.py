"""The four ways an answer writes its function calls, each rendered and parsed here.

- ``tokens`` (TokMem's native form): ``<|reserved_special_token_{i}|>{json arguments}`` per call,
  no separator: the tool token is the delimiter (TokMem decodes the text between one tool token
  and the next as the call's arguments). Tool ``i`` is the i-th tool of the study's order.
- ``text`` (TokMem's LoRA baseline): ``[tool_{i}]{json arguments}``, one call per line.
- ``json`` (in-context prompts): ``{"name": ..., "arguments": {...}}``, one call per line.
- ``hf`` (the Hermes/Qwen chat-template convention of local models):
  ``<tool_call>\\n{"name": ..., "arguments": {...}}\\n</tool_call>`` blocks.

Parsing never raises: agents write anything (garbage, truncated text, a megabyte of it). A call
whose tool cannot be read has the name ``None``; one whose arguments are not a JSON object keeps
them as raw text; each such call, and each stretch of text that belongs to no call (except around
``hf`` blocks, where a model may talk), is one parse error. Everything scans the text once.
"""

from __future__ import annotations

import json
import re
from typing import Any

from envs.checks import check_choice

CALL_FORMATS = ("tokens", "text", "json", "hf")
TOOL_TOKEN = "<|reserved_special_token_{}|>"
ALIAS = "[tool_{}]"
HF_OPEN, HF_CLOSE = "<tool_call>", "</tool_call>"

Call = tuple[str | None, dict[str, Any] | str]


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def render_calls(
    format: str,
    calls: list[tuple[str, dict[str, Any]]],
    index_of: dict[str, int],
    tool_token: str = TOOL_TOKEN,
) -> str:
    """``calls`` written in ``format``; ``index_of`` maps a tool to its index (``tokens``, ``text``).

    Raises:
        ValueError: an unknown format, or a tool missing from ``index_of`` in an indexed format.
    """
    check_choice("format", format, CALL_FORMATS)
    if format in ("tokens", "text"):
        missing = [name for name, _ in calls if name not in index_of]
        if missing:
            raise ValueError(f"tool {missing[0]!r} has no index; known tools: {len(index_of)}")
        marker = tool_token if format == "tokens" else ALIAS
        joiner = "" if format == "tokens" else "\n"
        return joiner.join(marker.format(index_of[name]) + _dump(args) for name, args in calls)
    lines = [_dump({"name": name, "arguments": args}) for name, args in calls]
    if format == "json":
        return "\n".join(lines)
    return "\n".join(f"{HF_OPEN}\n{line}\n{HF_CLOSE}" for line in lines)


def marker_pattern(template: str) -> re.Pattern[str]:
    """A regex for ``template`` (with one ``{}``) whose group 1 is the index."""
    prefix, _, suffix = template.partition("{}")
    return re.compile(re.escape(prefix) + r"(\d+)" + re.escape(suffix))


def parse_calls(
    format: str, text: Any, name_of: dict[int, str], tool_token: str = TOOL_TOKEN
) -> tuple[list[Call], int]:
    """The calls written in ``text`` and the number of parse errors; never raises.

    ``name_of`` maps an index back to its tool (``tokens``, ``text``); an index it lacks gives a
    call named ``None``. A ``format`` outside :data:`CALL_FORMATS` or a non-string ``text`` is one
    parse error and no call.
    """
    if format not in CALL_FORMATS or not isinstance(text, str):
        return [], 1
    if format in ("tokens", "text"):
        return _parse_indexed(text, marker_pattern(tool_token if format == "tokens" else ALIAS), name_of)
    if format == "json":
        return _parse_json_lines(text)
    return _parse_hf(text)


def _parse_indexed(text: str, marker: re.Pattern[str], name_of: dict[int, str]) -> tuple[list[Call], int]:
    matches = list(marker.finditer(text))
    errors = int(bool(text[: matches[0].start() if matches else len(text)].strip()))
    calls: list[Call] = []
    ends = [m.start() for m in matches[1:]] + [len(text)] if matches else []
    for match, end in zip(matches, ends, strict=True):
        body = text[match.end() : end]
        digits = match.group(1)
        # int() refuses over 4300 digits; no tool index is that long anyway.
        name = name_of.get(int(digits)) if len(digits) <= 9 else None
        args = _arguments(body)
        calls.append((name, args))
        errors += _malformed((name, args))
    return calls, errors


def _malformed(call: Call) -> bool:
    return call[0] is None or isinstance(call[1], str)


def _arguments(body: str) -> dict[str, Any] | str:
    """``body`` as a JSON object, or the stripped raw text when it is not one."""
    body = body.strip()
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested input, "[[[[..."
        return body
    return value if isinstance(value, dict) else body


def _named_call(body: str) -> Call | None:
    """The ``{"name", "arguments"}`` call in ``body``; ``None`` when ``body`` is no JSON object.

    ``arguments`` may also be a JSON string holding the object (OpenAI's wire form) or be called
    ``parameters`` (Llama 3's JSON tool calls). An object that is no well-formed call comes back
    as ``(name or None, the raw text)``.
    """
    value = _arguments(body)
    if not isinstance(value, dict):
        return None
    name, args = value.get("name"), value.get("arguments", value.get("parameters"))
    if isinstance(args, str):
        args = _arguments(args)
    if not isinstance(name, str) or not isinstance(args, dict):
        return (name if isinstance(name, str) else None), body.strip()
    return name, args


def _parse_json_lines(text: str) -> tuple[list[Call], int]:
    calls: list[Call] = []
    errors = 0
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith("{"):
            errors += 1  # prose: every line of this format is a call
            continue
        call = _named_call(line) or (None, line)
        calls.append(call)
        errors += _malformed(call)
    return calls, errors


def _parse_hf(text: str) -> tuple[list[Call], int]:
    calls: list[Call] = []
    errors = 0
    start = text.find(HF_OPEN)
    while start != -1:
        body_start = start + len(HF_OPEN)
        end = text.find(HF_CLOSE, body_start)
        # An unclosed block (a truncated turn) holds what is left; it is still a call attempt.
        body = text[body_start:] if end == -1 else text[body_start:end]
        call = _named_call(body) or (None, body.strip())
        calls.append(call)
        errors += end == -1 or _malformed(call)
        start = -1 if end == -1 else text.find(HF_OPEN, end + len(HF_CLOSE))
    return calls, errors
