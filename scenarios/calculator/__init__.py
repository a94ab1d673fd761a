"""The calculator study (PPO learns when to call a calculator, TRL's learning-tools example)."""

from __future__ import annotations

from scenarios.calculator import study
from scenarios.spec import Scenario

SCENARIOS = [
    Scenario(
        name="calculator_ppo",
        description="PPO teaches a small LM when to call a calculator (TRL's learning-tools study)",
        profiles={"cpu": study.cpu_profile, "paper": study.paper_profile},
        run=study.run_calculator,
    ),
]
