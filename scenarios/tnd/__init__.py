"""The teacher-demonstration study (TnD: a student LM learns from trials and teacher demonstrations)."""

from __future__ import annotations

import dataclasses

from scenarios.spec import Scenario
from scenarios.tnd import study


def smoke_profile() -> study.TnDStudyConfig:
    """Every stage of ``tnd`` in about a minute on 2 cores: a small corpus, a 200-step teacher, a
    100-step reward model, two variants at one seed of 60 steps. It learns little: it checks
    that a machine runs the study."""
    cpu = study.cpu_profile()
    return dataclasses.replace(
        cpu,
        variants=["tnd", "clm"],
        seeds=1,
        corpus=dataclasses.replace(cpu.corpus, sentences=6000),
        prompt_pool=300,
        min_contexts=20,
        max_contexts=64,
        common_words=40,
        teacher=dataclasses.replace(
            cpu.teacher,
            max_steps=200,
            warmup_steps=20,
            checkpoints=8,
            shape=study.ModelShape(width=32, layers=2, heads=2),
        ),
        reward=dataclasses.replace(
            cpu.reward, prompts=60, max_steps=100, shape=study.ModelShape(width=32, layers=1, heads=2)
        ),
        student=study.ModelShape(width=32, layers=2, heads=2),
        tnd=dataclasses.replace(
            cpu.tnd, max_steps=60, trials_per_step=16, save_steps=30, clm_warmup_steps=10
        ),
        eval_points=8,
    )


SCENARIOS = [
    Scenario(
        name="tnd",
        description="TnD vs CLM, trial only and demo only: when a student from scratch acquires words",
        profiles={"cpu": study.cpu_profile, "paper": study.paper_profile, "smoke": smoke_profile},
        run=study.run_tnd,
    ),
]
