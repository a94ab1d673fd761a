"""Arithmetic tasks of the calculator study and TRL's few-shot prompt.

A task is ``a op b`` with ``op`` in ``+ - *`` and ``a, b`` in [0, 50): whole numbers, as in TRL's
``generate_data``, or with one decimal (``decimals=True``, as in TRL's prompt: ``13.1-3``).
Every task has an integer id, so a task can be replayed with ``reset(options={"task_id": i})``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.calculator import format_number

OPERATORS = ("+", "-", "*")
LIMIT = 50  # operands lie in [0, LIMIT)
TOOL_NAME = "SimpleCalculatorTool"

# TRL's system prompt, verbatim: four solved examples.
FEW_SHOT_PROMPT = """\
What is 13.1-3?

<request><SimpleCalculatorTool>13.1-3<call>10.1<response>

Result=10.1<submit>

What is 4*3?

<request><SimpleCalculatorTool>4*3<call>12<response>

Result=12<submit>

What is 12.1+1?

<request><SimpleCalculatorTool>12.1+1<call>13.1<response>

Result=13.1<submit>

What is 12.1-20?

<request><SimpleCalculatorTool>12.1-20<call>-7.9<response>

Result=-7.9<submit>"""


@dataclass(frozen=True)
class Task:
    a: float
    op: str
    b: float

    @property
    def expression(self) -> str:
        """The tool call's text, without spaces as in the seed: ``13-3``."""
        return f"{format_number(self.a)}{self.op}{format_number(self.b)}"

    @property
    def question(self) -> str:
        """The task as TRL's generator writes it: ``What is 13 - 3?``."""
        return f"What is {format_number(self.a)} {self.op} {format_number(self.b)}?"

    @property
    def answer(self) -> float:
        return {"+": self.a + self.b, "-": self.a - self.b, "*": self.a * self.b}[self.op]


def num_tasks(decimals: bool) -> int:
    steps = LIMIT * (10 if decimals else 1)
    return len(OPERATORS) * steps * steps


def task_from_id(task_id: int, decimals: bool) -> Task:
    """Task ``task_id`` of ``num_tasks(decimals)``: operator, then a, then b."""
    scale = 10 if decimals else 1
    steps = LIMIT * scale
    op_index, rest = divmod(task_id, steps * steps)
    a, b = divmod(rest, steps)
    return Task(a / scale, OPERATORS[op_index], b / scale)
