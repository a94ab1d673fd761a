"""Per-word surprisal of a causal LM in given contexts: TnD's measure of word learning.

For each tracked word, the mean over its evaluation contexts of ``-log2(p + 1e-6)``, where ``p``
is the model's probability of the word's token given the tokens before it (the paper's code
smooths with 1e-6, which caps a context's surprisal near 20 bits). Measured at every checkpoint,
these means are the learning curves :mod:`agents.aoa` reads the age of acquisition from.

The sequences are read in right-padded batches: one forward pass per batch serves every context
in its sequences, and only the logits at those contexts are normalised, so the cost is that of
the forward passes whatever the number of words.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

SMOOTHING = 1e-6


def word_surprisals(
    model,
    sequences: Sequence[Sequence[int]],
    positions: dict[str, list[tuple[int, int]]],
    batch_size: int = 64,
) -> dict[str, float]:
    """Mean surprisal in bits of each word at its contexts.

    Args:
        model: a Hugging Face causal LM (``model(input_ids=..., attention_mask=...).logits``), on
            any device; it is run in eval mode and left in the mode it was in.
        sequences: token ids, each starting with a start token.
        positions: for each word, the ``(sequence index, token position)`` pairs where its token
            is; a position is >= 1, so the token has a context.
        batch_size: sequences per forward pass.

    Returns:
        ``{word: mean of -log2(p + 1e-6) over its contexts}``, NaN for a word without contexts.
    """
    import torch

    from learners.clm import clm_batch

    words = list(positions)
    contexts_of_row: dict[int, list[tuple[int, int]]] = {}
    for index, word in enumerate(words):
        for row, position in positions[word]:
            if not 1 <= position < len(sequences[row]):
                raise ValueError(
                    f"{word!r} at position {position} of sequence {row}: needs 1 <= position < length"
                )
            contexts_of_row.setdefault(row, []).append((position, index))
    totals = np.zeros(len(words))
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            rows = sorted(contexts_of_row)
            for start in range(0, len(rows), batch_size):
                chunk = rows[start : start + batch_size]
                # Tokens after a row's last context cannot change a causal model's predictions there.
                kept = [sequences[row][: max(p for p, _ in contexts_of_row[row]) + 1] for row in chunk]
                batch = clm_batch(kept, 0, device)
                logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
                contexts = np.array(
                    [(k, p, i) for k, row in enumerate(chunk) for p, i in contexts_of_row[row]]
                )
                in_batch, position = (torch.as_tensor(column, device=device) for column in contexts[:, :2].T)
                token = batch["input_ids"][in_batch, position]
                # Each token is predicted at the position before it.
                log_p = torch.log_softmax(logits[in_batch, position - 1].float(), dim=-1)
                bits = -torch.log2(log_p.gather(1, token[:, None]).squeeze(1).exp() + SMOOTHING)
                np.add.at(totals, contexts[:, 2], bits.cpu().numpy())
    finally:
        model.train(was_training)
    return {
        w: float(totals[i] / len(positions[w])) if positions[w] else math.nan for i, w in enumerate(words)
    }


def unigram_surprisal(counts: dict[str, int], words: Iterable[str]) -> dict[str, float]:
    """``-log2`` of each word's frequency in ``counts``: where a curve plateaus when the model has
    learnt only how often words come. A word absent from ``counts`` is taken to occur once, so its
    line stays finite."""
    total = sum(counts.values())
    return {w: -math.log2(max(counts.get(w, 0), 1) / total) for w in words}
