"""Checks of option values, shared by env arguments and every config's ``__post_init__``.

Each raises ``ValueError`` naming the key, the value and what is allowed, so a bad option fails
where it is set, before any work starts.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any


def check_choice(key: str, value: Any, allowed: Iterable[Any]) -> None:
    """``value`` must be one of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{key}={value!r} is not valid; choose one of {', '.join(map(repr, allowed))}")


def check_int(key: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> None:
    """``value`` must be an integer (not a bool) in ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{key}={value!r} is not valid; it must be an integer")
    _check_bounds(key, value, minimum, maximum)


def check_number(key: str, value: Any, minimum: float | None = None, maximum: float | None = None) -> None:
    """``value`` must be a real number (not a bool) in ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{key}={value!r} is not valid; it must be a number")
    _check_bounds(key, value, minimum, maximum)


def check_ints(key: str, values: Any, minimum: int | None = None) -> None:
    """``values`` must be a non-empty list of integers, each at least ``minimum``."""
    if not isinstance(values, list | tuple) or not values:
        raise ValueError(f"{key}={values!r} is not valid; it must be a non-empty list of integers")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{key}={values!r} is not valid; {value!r} is not an integer")
        _check_bounds(key, value, minimum, None)


def _check_bounds(key: str, value: Any, minimum: Any, maximum: Any) -> None:
    if minimum is not None and value < minimum:
        raise ValueError(f"{key}={value!r} is not valid; it must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{key}={value!r} is not valid; it must be <= {maximum}")
