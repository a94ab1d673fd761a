"""The agent interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Conversation = list[dict[str, str]]


class Agent:
    """Acts on a batch of conversations at once.

    Attributes:
        name: written into trajectory records.
        env_calls: names of env methods whose results the agent needs each turn (privileged
            information for oracles and baselines, e.g. ``"demonstration"``). ``rollout`` calls
            them on every sub-env and passes the results as ``hints[name][i]``.
    """

    name = "agent"
    env_calls: tuple[str, ...] = ()

    def act(self, conversations: Sequence[Conversation], hints: dict[str, Sequence[Any]]) -> list[str]:
        """Return the next assistant turn of each conversation."""
        raise NotImplementedError
