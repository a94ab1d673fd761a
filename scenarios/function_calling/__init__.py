"""The function-calling study (TokMem: tool tokens learned in rounds, against LoRA, replay and ICL)."""

from __future__ import annotations

import dataclasses

from scenarios.function_calling import study
from scenarios.spec import Scenario


def smoke_profile() -> study.FunctionCallingConfig:
    """Every stage of ``function_calling_rounds`` in about a minute on 2 cores: 2 rounds of 5
    tools, a width-32 base pre-trained 150 steps, a few steps per round. It learns little: it
    checks that a machine runs the study."""
    cpu = study.cpu_profile()
    return dataclasses.replace(
        cpu,
        tools_per_round=5,
        samples_per_tool=12,
        train_size=60,
        test_size=20,
        n_apis=60,
        pretrain_tools=30,
        pretrain_size=400,
        width=32,
        layers=2,
        heads=2,
        pretrain=dataclasses.replace(cpu.pretrain, max_steps=150, warmup_steps=10, save_steps=150),
        tool_tokens=dataclasses.replace(cpu.tool_tokens, epochs=[1]),
        lora=dataclasses.replace(cpu.lora, epochs=[1]),
        max_new_tokens=96,
    )


SCENARIOS = [
    Scenario(
        name="function_calling_rounds",
        description="tool tokens learned in rounds vs LoRA, LoRA+replay and retrieval in context (TokMem)",
        profiles={"cpu": study.cpu_profile, "paper": study.paper_profile, "smoke": smoke_profile},
        run=study.run_function_calling,
    ),
]
