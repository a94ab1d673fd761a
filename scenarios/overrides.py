"""``--set key=value`` overrides on (nested) dataclass configs, with errors that name the key.

Values are checked twice before any work starts: against the field's type annotation (a list
element by element), then by every config's own ``__post_init__`` (allowed values, ranges),
which runs again on the overridden config.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import difflib
import json
import types
import typing
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A bad override: unknown key, a value of the wrong type, or one its config refuses."""


def apply_overrides(config: Any, overrides: list[str]) -> Any:
    """Return a copy of ``config`` with each ``key=value`` applied (``a.b=1`` for nested fields).

    Values are parsed as JSON when they parse (``3``, ``1e-3``, ``true``, ``null``, ``[1, 2]``),
    else kept as strings (lists also as ``[a,b]`` or ``a,b``), then checked against the field's
    annotation. Every nested config is then rebuilt, innermost first, so its ``__post_init__``
    checks the new values; a ``ValueError`` there becomes a ``ConfigError`` naming the key.
    """
    config = copy.deepcopy(config)  # the profile itself stays as it was
    for override in overrides:
        key, sep, raw = override.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects key=value, got {override!r}")
        *parents, leaf = key.split(".")
        target = config
        for depth, part in enumerate(parents):
            _check_key(target, part, ".".join(parents[:depth]))
            if getattr(target, part) is None:  # an optional group (`sft.peft`): start from its defaults
                group = _dataclass_type(_annotation(target, part))
                if group is not None:
                    setattr(target, part, group())
            target = getattr(target, part)
            if not dataclasses.is_dataclass(target):
                raise ConfigError(f"{'.'.join(parents[: depth + 1])} is not a group of options")
        _check_key(target, leaf, ".".join(parents))
        setattr(target, leaf, _parse(key, raw, _annotation(target, leaf), getattr(target, leaf)))
    return _rebuild(config, "")


def study_parser(prog: str, doc: str, what: str, default_out: str, entries) -> argparse.ArgumentParser:
    """The options ``scenarios.run`` and ``scenarios.grid`` share; ``doc`` is the module's docstring
    and ``entries`` the scenarios or grids, whose profiles ``--profile``'s help lists."""
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
    profiles = "; ".join(f"{entry.name}: {', '.join(entry.profiles)}" for entry in entries)
    parser.add_argument("--profile", default="cpu", help=f"settings profile (default cpu) of {profiles}")
    return parser


def print_catalogue(entries) -> None:
    """``--list``: each scenario or grid with its description, profiles and every ``--set`` key."""
    for entry in entries:
        print(f"{entry.name}: {entry.description}")
        print(f"  profiles: {', '.join(entry.profiles)}")
        print(f"  keys: {', '.join(allowed_keys(entry.config('cpu')))}")


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


def differences(recorded: dict[str, Any], config: Any, prefix: str = "") -> list[str]:
    """How ``config`` differs from ``recorded`` (a config saved with ``dataclasses.asdict``), one
    ``key: old -> new`` line per value.

    A field added to a config after ``recorded`` was saved counts as unchanged while it keeps its
    default (the value that reproduces the old behaviour), so a new option does not invalidate old
    runs; any changed value, or a field that no longer exists, does.
    """
    lines = []
    names = {f.name for f in dataclasses.fields(config)}
    lines += [
        f"{prefix}{name}: {recorded[name]!r} -> (no such option)" for name in recorded if name not in names
    ]
    for f in dataclasses.fields(config):
        key, value = prefix + f.name, getattr(config, f.name)
        if f.name not in recorded:
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            if value != default:
                lines.append(f"{key}: (not recorded) -> {_plain(value)!r}")
        elif dataclasses.is_dataclass(value) and isinstance(recorded[f.name], dict):
            lines += differences(recorded[f.name], value, f"{key}.")
        elif _plain(value) != recorded[f.name]:
            lines.append(f"{key}: {recorded[f.name]!r} -> {_plain(value)!r}")
    return lines


def _plain(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists, dataclasses dicts)."""
    if dataclasses.is_dataclass(value):
        value = dataclasses.asdict(value)
    return json.loads(json.dumps(value))


def _check_key(target: Any, name: str, prefix: str) -> None:
    names = [f.name for f in dataclasses.fields(target)]
    if name not in names:
        full = f"{prefix}.{name}" if prefix else name
        allowed = allowed_keys(target, f"{prefix}." if prefix else "")
        hint = difflib.get_close_matches(full, allowed, n=1)
        did_you_mean = f" Did you mean {hint[0]!r}?" if hint else ""
        raise ConfigError(f"unknown key {full!r}.{did_you_mean} Allowed keys: {', '.join(allowed)}")


def _parse(key: str, raw: str, annotation: Any, current: Any) -> Any:
    """``raw`` as a value of the field's type ``annotation``, or a ConfigError naming the key."""
    value = _json_or_text(raw)
    expected = _allowed_types(annotation)
    if value is None:
        if type(None) in expected or current is None:
            return None
        raise ConfigError(f"{key} expects {_describe(annotation)}, got null")
    for kind in expected:
        origin = typing.get_origin(kind) or kind
        if origin in (list, tuple):
            if isinstance(value, str):
                # Shell-friendly lists: `modes=[in_tool]` or `widths=8,16` as well as JSON.
                items = [item.strip() for item in value.strip("[]").split(",")]
                value = [_json_or_text(item) for item in items if item]
            if isinstance(value, list):
                return origin(_parse_item(key, raw, item, _element_type(kind)) for item in value)
        elif dataclasses.is_dataclass(kind) and isinstance(value, dict):
            group = kind()  # `--set sft.peft={"r": 4}`: the group's defaults, then each value
            for name, item in value.items():
                _check_key(group, name, key)
                setattr(
                    group,
                    name,
                    _parse(f"{key}.{name}", json.dumps(item), _annotation(group, name), getattr(group, name)),
                )
            return group
        elif _instance(value, kind):
            return float(value) if kind is float else value
        elif kind is str and not isinstance(value, list | dict):
            return raw  # `--set name=123` is the text "123"
    raise ConfigError(f"{key} expects {_describe(annotation)}, got {raw!r}")


def _parse_item(key: str, raw: str, item: Any, kind: Any) -> Any:
    if kind is Any or _instance(item, kind):
        return float(item) if kind is float else item
    raise ConfigError(f"{key} expects a list of {kind.__name__}, got {item!r} in {raw!r}")


def _dataclass_type(annotation: Any) -> type | None:
    """The dataclass among the types ``annotation`` allows (``PeftOptions | None``), if any."""
    return next((kind for kind in _allowed_types(annotation) if dataclasses.is_dataclass(kind)), None)


def _annotation(target: Any, name: str) -> Any:
    """The field's type (its annotation resolved); ``Any`` where it cannot be resolved."""
    try:
        return typing.get_type_hints(type(target))[name]
    except (NameError, TypeError):
        return Any


def _instance(value: Any, kind: Any) -> bool:
    """``isinstance`` with JSON's numbers: a bool is not an int, an int is a float."""
    if kind is Any or not isinstance(kind, type):
        return True  # a typing construct this parser does not read: the config's __post_init__ checks it
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _allowed_types(annotation: Any) -> tuple[Any, ...]:
    """The members of a union (``int | None``, ``Optional[str]``), or the annotation itself."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _element_type(annotation: Any) -> Any:
    """``int`` for ``list[int]`` and ``tuple[int, ...]``; ``Any`` for a bare ``list``."""
    args = [arg for arg in typing.get_args(annotation) if arg is not Ellipsis]
    return args[0] if len(args) == 1 else Any


def _describe(annotation: Any) -> str:
    names = []
    for kind in _allowed_types(annotation):
        if kind is type(None):
            names.append("null")
        elif typing.get_origin(kind) in (list, tuple):
            element = _element_type(kind)
            names.append(f"a list of {element.__name__}" if element is not Any else "a list")
        else:
            name = getattr(kind, "__name__", str(kind))
            names.append("true or false" if kind is bool else f"{'an' if name[0] in 'aeiou' else 'a'} {name}")
    return " or ".join(names)


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _rebuild(config: Any, prefix: str) -> Any:
    """``config`` built again through its ``__init__`` (so ``__post_init__`` runs), innermost first."""
    changes = {
        f.name: _rebuild(getattr(config, f.name), f"{prefix}{f.name}.")
        for f in dataclasses.fields(config)
        if dataclasses.is_dataclass(getattr(config, f.name))
    }
    try:
        return dataclasses.replace(config, **changes)
    except ValueError as error:
        message = str(error)
        if not prefix or any(message.startswith(f"{f.name}=") for f in dataclasses.fields(config)):
            raise ConfigError(prefix + message) from None  # `lr_schedule=...` -> `ppo.lr_schedule=...`
        raise ConfigError(f"{prefix.rstrip('.')}: {message}") from None
