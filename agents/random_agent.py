"""The random baseline: a well-formed answer drawn at random, the chance floor of a study."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents.base import Agent, Conversation


class RandomAgent(Agent):
    """Answers at once with ``env.random_answer()``: right format, random value, no tool use."""

    name = "random"
    env_calls = ("random_answer",)

    def act(self, conversations: Sequence[Conversation], hints: dict[str, Sequence[Any]]) -> list[str]:
        return list(hints["random_answer"])
