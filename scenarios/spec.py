"""What a study registers: runnable scenarios and grids of runs, each with its config profiles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios.overrides import ConfigError


@dataclass(frozen=True)
class Scenario:
    """A runnable study: config profiles and the function that runs one config into a folder.

    Every scenario has a ``cpu`` profile (the default of ``--profile``, what ``--list`` shows)
    and a ``smoke`` profile (every stage in about a minute on 2 cores, derived from ``cpu``).
    """

    name: str
    description: str
    profiles: dict[str, Callable[[], Any]]
    run: Callable[..., dict[str, Any]]

    def config(self, profile: str) -> Any:
        return self.profiles[_check_profile(self.name, profile, self.profiles)]()


@dataclass(frozen=True)
class GridSpec:
    """A named grid: its config profiles, its cells, how one cell runs and how the table is summarised."""

    name: str
    description: str
    profile: Callable[[str], Any]
    """The grid's config for a profile name (one of ``profiles``)."""
    cells: Callable[[Any], list[dict[str, Any]]]
    cell_config: Callable[[Any, dict[str, Any]], Any]
    """The dataclass config one cell trains with (a changed one reruns the cell)."""
    run_cell: Callable[[Any, dict[str, Any], Path, str], dict[str, Any]]
    summarize: Callable[[Any, list[dict[str, Any]], Path], dict[str, Any]]
    profiles: tuple[str, ...] = ("cpu", "paper")
    headline: str = "reward"
    """The key of a cell's row that the progress lines show (``recall`` for the memory grids)."""
    group_cells: Callable[[Any, list[dict[str, Any]]], list[list[dict[str, Any]]]] | None = None
    """Groups of the cells to run whose models train together, before the cells run (None: none)."""
    train_group: Callable[[Any, list[dict[str, Any]], Path, str], None] | None = None
    """Train one group's models into the grid's folder; its cells then find them trained."""

    def config(self, profile: str) -> Any:
        return self.profile(_check_profile(self.name, profile, self.profiles))


def _check_profile(name: str, profile: str, profiles) -> str:
    if profile not in profiles:
        raise ConfigError(f"profile {profile!r} is not valid for {name}; choose one of {sorted(profiles)}")
    return profile
