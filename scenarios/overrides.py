"""``--set key=value`` overrides on (nested) dataclass configs, with errors that name the key."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A bad override: unknown key or a value of the wrong type."""


def apply_overrides(config: Any, overrides: list[str]) -> Any:
    """Return a copy of ``config`` with each ``key=value`` applied (``a.b=1`` for nested fields).

    Values are parsed as JSON when they parse (``3``, ``1e-3``, ``true``, ``null``, ``[1, 2]``),
    else kept as strings, then checked against the type of the field's current value.
    """
    config = _deep_copy(config)
    for override in overrides:
        key, sep, raw = override.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects key=value, got {override!r}")
        *parents, leaf = key.split(".")
        target = config
        for depth, part in enumerate(parents):
            _check_key(target, part, ".".join(parents[:depth]))
            target = getattr(target, part)
            if not dataclasses.is_dataclass(target):
                raise ConfigError(f"{'.'.join(parents[: depth + 1])} is not a group of options")
        _check_key(target, leaf, ".".join(parents))
        setattr(target, leaf, _parse(key, raw, getattr(target, leaf)))
    return config


def study_parser(prog: str, doc: str, what: str, default_out: str) -> argparse.ArgumentParser:
    """The options ``scenarios.run`` and ``scenarios.grid`` share; ``doc`` is the module's docstring."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=doc.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=doc.split("\n\n", 1)[1],
    )
    parser.add_argument("name", nargs="?", help=f"{what} to run (see --list)")
    parser.add_argument("--list", action="store_true", help=f"list the {what}s and their options")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override an option")
    parser.add_argument("--out", type=Path, help=f"output folder (default {default_out})")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where to train")
    parser.add_argument("--profile", default="cpu", help="settings profile: cpu (default) or paper")
    return parser


def print_catalogue(entries) -> None:
    """``--list``: each scenario or grid with its description, profiles and every ``--set`` key."""
    for entry in entries:
        print(f"{entry.name}: {entry.description}")
        print(f"  profiles: {', '.join(entry.profiles)}")
        print(f"  keys: {', '.join(allowed_keys(entry.config('cpu')))}")


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def allowed_keys(config: Any, prefix: str = "") -> list[str]:
    """Every key ``--set`` accepts, nested ones spelled ``group.key``."""
    keys = []
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if dataclasses.is_dataclass(value):
            keys.extend(allowed_keys(value, f"{prefix}{field.name}."))
        else:
            keys.append(prefix + field.name)
    return keys


def _check_key(target: Any, name: str, prefix: str) -> None:
    names = [f.name for f in dataclasses.fields(target)]
    if name not in names:
        full = f"{prefix}.{name}" if prefix else name
        allowed = allowed_keys(target, f"{prefix}." if prefix else "")
        hint = difflib.get_close_matches(full, allowed, n=1)
        did_you_mean = f" Did you mean {hint[0]!r}?" if hint else ""
        raise ConfigError(f"unknown key {full!r}.{did_you_mean} Allowed keys: {', '.join(allowed)}")


def _parse(key: str, raw: str, current: Any) -> Any:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    if current is None or value is None:
        return value
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{key} expects true or false, got {raw!r}")
        return value
    if isinstance(current, int) and isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(current, float) and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(current, str) and isinstance(value, str):
        return value
    if isinstance(current, list | tuple) and isinstance(value, str):
        # Shell-friendly lists: `modes=[in_tool]` or `widths=8,16` as well as JSON.
        value = [_parse_item(item.strip()) for item in value.strip("[]").split(",") if item.strip()]
    if isinstance(current, list | tuple) and isinstance(value, list):
        return type(current)(value)
    raise ConfigError(f"{key} expects a {type(current).__name__}, got {raw!r}")


def _parse_item(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _deep_copy(config: Any) -> Any:
    changes = {
        f.name: _deep_copy(getattr(config, f.name))
        for f in dataclasses.fields(config)
        if dataclasses.is_dataclass(getattr(config, f.name))
    }
    return dataclasses.replace(config, **changes)
