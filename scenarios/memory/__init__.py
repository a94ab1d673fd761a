"""The memory study (in-tool vs in-weight learning of facts): its run and its three grids."""

from __future__ import annotations

from scenarios.memory import grids, study
from scenarios.spec import GridSpec, Scenario

SCENARIOS = [
    Scenario(
        name="memory_1000",
        description="in-tool vs in-weight SFT on 1,000 people's facts: recall, OOD accuracy, parameters",
        profiles={"cpu": lambda: study.cpu_profile(1000), "paper": lambda: study.paper_profile(1000)},
        run=study.run_memory,
    ),
]


def _grid(name: str, description: str, profile, summarize) -> GridSpec:
    return GridSpec(
        name,
        description,
        profile,
        grids.cells,
        grids.cell_config,
        grids.run_cell,
        summarize,
        headline="recall",
    )


GRIDS = [
    _grid(
        "memory_capacity",
        "people x width x mode: parameters needed for 95% recall vs facts, per mode",
        grids.capacity_profile,
        grids.summarize_capacity,
    ),
    _grid(
        "memory_ood",
        "accuracy on unseen people vs people trained on, per width and mode",
        grids.ood_profile,
        grids.summarize_ood,
    ),
    _grid(
        "memory_compressibility",
        "in-weight parameters needed for 95% recall vs attribute correlation (1 - ALPHA)",
        grids.compressibility_profile,
        grids.summarize_compressibility,
    ),
]
