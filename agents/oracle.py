"""The oracle: plays the env's own demonstration, turn by turn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents.base import Agent, Conversation


class OracleAgent(Agent):
    """Plays ``env.demonstration()``: its k-th assistant turn is the demonstration's k-th turn.

    The demonstration's last turn is repeated if the conversation runs longer (after env feedback).
    """

    name = "oracle"
    env_calls = ("demonstration",)

    def act(self, conversations: Sequence[Conversation], hints: dict[str, Sequence[Any]]) -> list[str]:
        turns = []
        for conversation, demonstration in zip(conversations, hints["demonstration"], strict=True):
            k = sum(message["role"] == "assistant" for message in conversation)
            turns.append(demonstration[min(k, len(demonstration) - 1)])
        return turns
