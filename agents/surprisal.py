"""Per-word surprisal of a causal LM in given contexts: TnD's measure of word learning.

For each tracked word, the mean over its evaluation contexts of ``-log2(p + 1e-6)``, where ``p``
is the model's probability of the word's token given the tokens before it (the paper's code
smooths with 1e-6). One forward pass per batch of sequences serves every context in them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

SMOOTHING = 1e-6


def word_surprisals(
    model,
    sequences: Sequence[Sequence[int]],
    positions: dict[str, list[tuple[int, int]]],
    batch_size: int = 256,
) -> dict[str, float]:
    """Mean surprisal in bits of each word at its ``(sequence index, token position)`` pairs
    (positions >= 1: each sequence starts with a start token)."""
    import torch

    from learners.clm import clm_batch

    wanted: dict[int, list[tuple[int, str]]] = {}
    for word, pairs in positions.items():
        for row, position in pairs:
            wanted.setdefault(row, []).append((position, word))
    totals = dict.fromkeys(positions, 0.0)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    rows = sorted(wanted)
    with torch.inference_mode():
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            batch = clm_batch([sequences[r] for r in chunk], 0, device)
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            probabilities = torch.softmax(logits.float(), dim=-1)
            for k, row in enumerate(chunk):
                for position, word in wanted[row]:
                    p = probabilities[k, position - 1, sequences[row][position]].item()
                    totals[word] += -math.log2(p + SMOOTHING)
    model.train(was_training)
    return {w: totals[w] / len(pairs) if pairs else math.nan for w, pairs in positions.items()}


def unigram_surprisal(counts: dict[str, int], words) -> dict[str, float]:
    """``-log2`` of each word's corpus frequency: where a curve plateaus if only frequency is learnt."""
    total = sum(counts.values())
    return {w: -math.log2(max(counts.get(w, 0), 1) / total) for w in words}
