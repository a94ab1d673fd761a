"""What the app draws of one run or episode: messages, tokens, the diff, the run's header."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.widgets import Static

from envs.trajectory import Trajectory
from tui.index import EpisodeIndex


def message_widget(message: dict) -> Static:
    role = message.get("role", "user")
    name = message.get("name")
    kind = "env" if name == "env" else role if role in ("user", "assistant", "tool") else "user"
    label = {"user": "user", "assistant": "assistant", "tool": f"{name or 'tool'} ->", "env": "env feedback"}[
        kind
    ]
    text = Text(message.get("content", ""))
    for call in message.get("tool_calls") or ():  # the calls as the env read them: names, not tokens
        function = call.get("function", {})
        arguments = json.dumps(function.get("arguments"), ensure_ascii=False)
        text.append(f"\n-> {function.get('name')}({arguments})", style="bold cyan")
    widget = Static(text, classes=f"message {kind}")
    widget.border_title = label
    return widget


def token_view(record: Trajectory, tokenizer: Any = None) -> Static:
    """The record's tokens, trained ones (mask 1) highlighted: tool output must never be.

    Each token shows as recorded (``tokens``); a record without them (schema v1) is decoded with
    ``tokenizer`` (the run's own) when there is one, else its ids show as ``<id>``.
    """
    if not record.token_ids or not record.loss_mask:
        return Static("This record carries no token ids / loss mask.", classes="message env")
    if record.tokens and len(record.tokens) == len(record.token_ids):
        pieces, source = record.tokens, "recorded"
    elif tokenizer is not None:
        from agents.tokenizers import token_strings

        pieces, source = token_strings(tokenizer, record.token_ids), "the run's tokenizer"
    else:
        pieces, source = [f"<{token}>" for token in record.token_ids], "ids only: no tokenizer found"
    text = Text()
    for piece, trained in zip(pieces, record.loss_mask, strict=False):
        piece = piece.replace("\n", "\\n\n")  # a newline token shows, and breaks the line
        text.append(piece, style="bold black on green" if trained else "dim")
    widget = Static(text, classes="message tokens")
    trained = sum(record.loss_mask)
    widget.border_title = (
        f"tokens ({source}): {trained} trained (green) / {len(record.loss_mask) - trained} not"
    )
    return widget


def diff_view(record: Trajectory) -> Static:
    """The agent's turns against the oracle's demonstration, line by line."""
    if not record.demonstration:
        return Static("This record carries no demonstration to compare with.", classes="message env")
    played = [m["content"] for m in record.messages if m["role"] == "assistant"]
    text = Text()
    for line in difflib.ndiff("\n".join(played).splitlines(), "\n".join(record.demonstration).splitlines()):
        if line.startswith("?"):
            continue
        style = "red" if line.startswith("- ") else "green" if line.startswith("+ ") else ""
        text.append(line + "\n", style=style)
    widget = Static(text, classes="message diff")
    widget.border_title = "agent (-) vs oracle (+)"
    return widget


def run_header(path: Path, index: EpisodeIndex) -> Text:
    """The run's scenario, results and TensorBoard folder (for a run folder), and the episode count."""
    text = Text(f"{path}  ", style="bold")
    text.append(f"{len(index):,} episodes in {len(index.files)} file(s)")
    folder = run_folder(path)
    config = _json_object(folder / "config.json")
    if "scenario" in config:
        text.append(f"\nscenario: {config['scenario']}")
    headline = _json_object(folder / "results.json").get("headline")
    if isinstance(headline, dict) and isinstance(headline.get("values"), dict):
        text.append(f"\n{headline.get('metric', 'result')}:", style="bold")
        for name, value in headline["values"].items():
            text.append(f"  {name} {_number(value)}")
    if (folder / "tb").is_dir():
        text.append(f"\ntensorboard --logdir {folder / 'tb'}")
    return text


def run_folder(path: Path) -> Path:
    """The run folder of ``path``: itself, or the folder of its file (above ``trajectories/``)."""
    folder = path if path.is_dir() else path.parent
    return folder.parent if folder.name == "trajectories" else folder


def _json_object(path: Path) -> dict:
    """A JSON file's object, ``{}`` when it is missing, damaged or not an object."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "-" if value is None else str(value)[:20]
    return f"{value:.3f}"
