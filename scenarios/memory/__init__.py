"""The memory study (in-tool vs in-weight learning of facts): its run and its three grids."""

from __future__ import annotations

import dataclasses

from scenarios.memory import grids, study, summaries
from scenarios.spec import GridSpec, Scenario


def smoke_profile() -> study.MemoryConfig:
    """Every stage of ``memory_1000`` in about a minute on 2 cores: 25 people, width-16 models,
    20 steps per mode (the cpu profile's learning rates and batches). It learns little: it checks
    that a machine runs the study, not what the study finds."""
    cpu = study.cpu_profile(25)

    def short(mode: study.ModeConfig) -> study.ModeConfig:
        sft = dataclasses.replace(
            mode.sft,
            max_steps=20,
            warmup_steps=5,
            logging_steps=10,
            eval_steps=20,
            eval_episodes=8,
            save_steps=20,
        )
        return dataclasses.replace(mode, width=16, sft=sft)

    return dataclasses.replace(
        cpu, ood_questions=20, eval_batch_size=100, in_tool=short(cpu.in_tool), in_weight=short(cpu.in_weight)
    )


SCENARIOS = [
    Scenario(
        name="memory_1000",
        description="in-tool vs in-weight SFT on 1,000 people's facts: recall, OOD accuracy, parameters",
        profiles={
            "cpu": lambda: study.cpu_profile(1000),
            "paper": lambda: study.paper_profile(1000),
            "smoke": smoke_profile,
        },
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
        group_cells=grids.group_cells,
        train_group=grids.train_group,
    )


GRIDS = [
    _grid(
        "memory_capacity",
        "people x width x mode: parameters needed for 95% recall vs facts, per mode",
        grids.capacity_profile,
        summaries.summarize_capacity,
    ),
    _grid(
        "memory_ood",
        "accuracy on unseen people vs people trained on, per width and mode",
        grids.ood_profile,
        summaries.summarize_ood,
    ),
    _grid(
        "memory_compressibility",
        "in-weight parameters needed for 95% recall vs attribute correlation (1 - ALPHA)",
        grids.compressibility_profile,
        summaries.summarize_compressibility,
    ),
]
