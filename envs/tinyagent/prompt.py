"""What the planner reads: the tool descriptions, the instruction and the request, in one message.

TinyAgent's planner prompt (``src/tiny_agent/prompts.py``) is a long system prompt: every tool's
description, LLMCompiler's rules and in-context examples. A from-scratch model on a CPU cannot
read 4 KB per example, so the prompt here keeps what a plan depends on: the described tools (all
16, or those a ToolRAG step selected; each by its signature, :func:`brief`), the
grammar in one sentence, and the request. The joiner
reads the plan (its own previous turn) and one observation per step.
"""

from __future__ import annotations

from collections.abc import Sequence

INSTRUCTION = (
    'Plan the calls, one per line as "N. tool(arguments)" with every argument in order, '
    '"$k" for the result of step k; end with "N. join()<END_OF_PLAN>".'
)


def brief(description: str) -> str:
    """A tool's description cut to its signature (a third of the characters): with all 16 tools a
    prompt is about 1,400 characters, which fits the CPU model's 1,024 positions with the plan,
    the observations and the joiner's answer; the names and arguments say what each tool does."""
    return description.strip().splitlines()[0]


def planner_prompt(descriptions: Sequence[str], query: str) -> str:
    """The planner's message: ``Tools:``, one description per tool, the instruction, the question."""
    tools = "\n".join(d.strip() for d in descriptions)
    return f"Tools:\n{tools}\n\n{INSTRUCTION}\nQuestion: {query}"


def observation(index: int, answer: str) -> str:
    """One step's answer as the joiner reads it (TinyAgent's ``Observation:`` lines)."""
    return f"Observation {index}: {answer}"
