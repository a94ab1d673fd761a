"""The TinyAgent planner study (LLMCompiler plans over 16 desktop tools, LoRA / QLoRA fine-tuning)."""

from __future__ import annotations

import dataclasses

from scenarios.spec import Scenario
from scenarios.tinyagent import study


def smoke_profile() -> study.TinyAgentConfig:
    """Every stage of ``tinyagent_lora`` in about a minute on 2 cores: a width-32 base pre-trained
    100 steps, 60 LoRA steps, 40 test tasks. It learns little: it checks that a machine runs it."""
    cpu = study.cpu_profile()
    return dataclasses.replace(
        cpu,
        train_tasks=200,
        test_tasks=40,
        toolrag_queries=300,
        pretrain_size=400,
        vocab_size=1024,
        width=32,
        layers=2,
        heads=2,
        pretrain=dataclasses.replace(cpu.pretrain, max_steps=100, warmup_steps=10),
        lora=dataclasses.replace(cpu.lora, max_steps=60, warmup_steps=5),
        max_new_tokens=120,
    )


SCENARIOS = [
    Scenario(
        name="tinyagent_lora",
        description="LoRA / QLoRA lifts plan success over 16 desktop tools, with or without ToolRAG",
        profiles={"cpu": study.cpu_profile, "paper": study.paper_profile, "smoke": smoke_profile},
        run=study.run_tinyagent,
    ),
]
