"""The named scenarios ``python -m scenarios.run NAME`` knows, each with its profiles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios import calculator, memory


@dataclass(frozen=True)
class Scenario:
    """A runnable study: config profiles and the function that runs one config into a folder."""

    name: str
    description: str
    profiles: dict[str, Callable[[], Any]]
    run: Callable[..., dict[str, Any]]

    def config(self, profile: str) -> Any:
        if profile not in self.profiles:
            raise ValueError(
                f"profile {profile!r} is not valid for {self.name}; choose one of {sorted(self.profiles)}"
            )
        return self.profiles[profile]()


SCENARIOS = {
    scenario.name: scenario
    for scenario in [
        Scenario(
            name="memory_1000",
            description="in-tool vs in-weight SFT on 1,000 people's facts: recall, OOD accuracy, parameters",
            profiles={"cpu": lambda: memory.cpu_profile(1000), "paper": lambda: memory.paper_profile(1000)},
            run=memory.run_memory,
        ),
        Scenario(
            name="calculator_ppo",
            description="PPO teaches a small LM when to call a calculator (TRL's learning-tools study)",
            profiles={"cpu": calculator.cpu_profile, "paper": calculator.paper_profile},
            run=calculator.run_calculator,
        ),
    ]
}


def get_scenario(name: str) -> Scenario:
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; scenarios: {', '.join(sorted(SCENARIOS))}")
    return SCENARIOS[name]


def default_out(name: str) -> Path:
    import time

    return Path("runs") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"


def _grids() -> dict:
    from scenarios import memory_grids
    from scenarios.grid import GridSpec

    def memory_grid(name: str, description: str, profile, summarize) -> GridSpec:
        return GridSpec(
            name,
            description,
            profile,
            memory_grids.cells,
            memory_grids.cell_config,
            memory_grids.run_cell,
            summarize,
        )

    specs = [
        memory_grid(
            "memory_capacity",
            "people x width x mode: parameters needed for 95% recall vs facts, per mode",
            memory_grids.capacity_profile,
            memory_grids.summarize_capacity,
        ),
        memory_grid(
            "memory_ood",
            "accuracy on unseen people vs people trained on, per width and mode",
            memory_grids.ood_profile,
            memory_grids.summarize_ood,
        ),
        memory_grid(
            "memory_compressibility",
            "in-weight parameters needed for 95% recall vs attribute correlation (1 - ALPHA)",
            memory_grids.compressibility_profile,
            memory_grids.summarize_compressibility,
        ),
    ]
    return {spec.name: spec for spec in specs}


GRIDS = _grids()
