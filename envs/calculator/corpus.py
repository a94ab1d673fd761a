"""The calculator study's pre-training corpus: a writer who often skips the calculator.

TRL's example starts PPO from a GPT-2 that can read the format but rarely uses the tool well.
Nothing is downloaded here, so the starting model is pre-trained from scratch on transcripts of
``toolgym/Calculator-v0`` in which the writer calls the calculator on a ``tool_rate`` share of
the questions (and then answers with its result) and otherwise answers from memory, right only a
``memory_accuracy`` share of the time (else with the result of other operands under the same
operator: a plausible number, unrelated to the question). A model that imitates the writer
knows the format and how to use the tool, and starts well below 0.5 reward: what PPO must learn
is *when* to call it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from envs.calculator.env import CalculatorEnv
from envs.calculator.tasks import task_from_id
from envs.checks import check_int, check_number
from tools.calculator import format_number

VERSION = 2
"""Bumped when the writer changes, so that cached starting models are not reused across versions."""


@dataclass
class CorpusConfig:
    """How the pre-training transcripts are written; the defaults are the calibrated ones (README)."""

    transcripts: int = 20_000
    """Transcripts in the corpus (tasks drawn with replacement)."""
    tool_rate: float = 0.3
    """Share of transcripts that call the calculator, in [0, 1]."""
    memory_accuracy: float = 0.1
    """Share of the answers from memory that are right, in [0, 1]."""
    seed: int = 0
    """Seed of the tasks and of the writer's choices."""

    def __post_init__(self) -> None:
        check_int("transcripts", self.transcripts, minimum=1)
        check_number("tool_rate", self.tool_rate, 0.0, 1.0)
        check_number("memory_accuracy", self.memory_accuracy, 0.0, 1.0)
        check_int("seed", self.seed, minimum=0)


def write_transcripts(config: CorpusConfig, decimals: bool = False) -> list[list[dict[str, str]]]:
    """The corpus, each transcript an episode of the env played by the writer (chat messages);
    ``decimals``: tasks of ``Calculator-v0(decimals=True)``."""
    rng = np.random.default_rng(config.seed)
    env = CalculatorEnv(decimals=decimals)
    corpus = []
    for task_id in rng.integers(env.num_tasks, size=config.transcripts):
        env.reset(options={"task_id": int(task_id)})
        if rng.random() < config.tool_rate:
            turns = env.demonstration()
        else:
            task = env.task
            if rng.random() >= config.memory_accuracy:  # misremembered: the result of other operands
                task = task_from_id(int(rng.integers(env.num_tasks)), decimals)
                task = dataclasses.replace(task, op=env.task.op)
            turns = [f"Result={format_number(task.answer)}<submit>"]
        for turn in turns:
            env.step(turn)
        corpus.append([{"role": m["role"], "content": m["content"]} for m in env.messages])
    env.close()
    return corpus
