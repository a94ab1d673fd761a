"""A replay buffer for learning in rounds: earlier rounds' examples mixed into a later round's.

TokMem's LoRA baseline keeps up to ``size`` examples of the rounds seen so far (1,000) and makes
``ratio`` (0.2) of each later round's training data replayed ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


class ReplayBuffer:
    """Holds at most ``size`` examples of earlier rounds, a uniform sample of all it was given
    (reservoir sampling), and mixes them into a round's data at ``ratio``."""

    def __init__(self, size: int = 1000, ratio: float = 0.2, seed: int = 0):
        if size < 1:
            raise ValueError(f"replay size={size} is not valid; it must be >= 1")
        if not 0 <= ratio < 1:
            raise ValueError(f"replay ratio={ratio} is not valid; it must be in [0, 1)")
        self.size, self.ratio = size, ratio
        self.rng = np.random.default_rng(seed)
        self.examples: list[Any] = []
        self.seen = 0

    def add(self, examples: Sequence[Any]) -> None:
        """Offer a round's examples to the buffer."""
        for example in examples:
            self.seen += 1
            if len(self.examples) < self.size:
                self.examples.append(example)
            else:
                slot = int(self.rng.integers(self.seen))
                if slot < self.size:
                    self.examples[slot] = example

    def mix(self, examples: Sequence[Any]) -> list[Any]:
        """``examples`` plus replayed ones, so that ``ratio`` of the result is replayed (drawn
        without replacement while the buffer has enough), shuffled together."""
        if not self.examples or self.ratio == 0:
            return list(examples)
        wanted = round(len(examples) * self.ratio / (1 - self.ratio))
        picks = self.rng.choice(len(self.examples), size=wanted, replace=wanted > len(self.examples))
        mixed = [*examples, *(self.examples[i] for i in picks)]
        order = self.rng.permutation(len(mixed))
        return [mixed[i] for i in order]
