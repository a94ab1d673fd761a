"""The studies ``python -m scenarios.run`` and ``python -m scenarios.grid`` know.

Each study package lists its own ``SCENARIOS`` (and ``GRIDS``); adding a study is one line here.
"""

from __future__ import annotations

from pathlib import Path

from scenarios import calculator, function_calling, memory, tinyagent, tnd
from scenarios.spec import GridSpec, Scenario

STUDIES = (memory, calculator, function_calling, tinyagent, tnd)
SCENARIOS: dict[str, Scenario] = {s.name: s for study in STUDIES for s in study.SCENARIOS}
GRIDS: dict[str, GridSpec] = {g.name: g for study in STUDIES for g in getattr(study, "GRIDS", ())}


def get_scenario(name: str) -> Scenario:
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; scenarios: {', '.join(sorted(SCENARIOS))}")
    return SCENARIOS[name]


def default_out(name: str) -> Path:
    import time

    return Path("runs") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
