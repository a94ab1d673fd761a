"""The calculator study (PPO learns when to call a calculator, TRL's learning-tools example)."""

from __future__ import annotations

import dataclasses

from scenarios.calculator import study
from scenarios.spec import Scenario


def smoke_profile() -> study.CalculatorConfig:
    """Every stage of ``calculator_ppo`` in about a minute on 2 cores: a width-16 starting model
    pre-trained 60 steps on 2,000 transcripts (cached like the cpu profile's), 2 PPO steps,
    32 evaluation episodes. It learns little: it checks that a machine runs the study."""
    cpu = study.cpu_profile()
    return dataclasses.replace(
        cpu,
        width=16,
        corpus=dataclasses.replace(cpu.corpus, transcripts=2000),
        pretrain=dataclasses.replace(cpu.pretrain, max_steps=60, warmup_steps=6, save_steps=60),
        ppo=dataclasses.replace(cpu.ppo, max_steps=2, tasks_per_step=4, save_steps=2),
        eval_episodes=32,
    )


SCENARIOS = [
    Scenario(
        name="calculator_ppo",
        description="PPO teaches a small LM when to call a calculator (TRL's learning-tools study)",
        profiles={"cpu": study.cpu_profile, "paper": study.paper_profile, "smoke": smoke_profile},
        run=study.run_calculator,
    ),
]
