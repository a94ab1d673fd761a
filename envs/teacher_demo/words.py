"""The words whose acquisition is measured, and their evaluation contexts (TnD's rules).

Two sets, as in the paper: common words (``cmn``: the most frequent words of the evaluation text)
and CDI words (``cdi``: MacArthur-Bates CDI-like early words). A word is kept when it is a single
token of the tokenizer, alphabetic, and has at least ``min_contexts`` occurrences in the
evaluation utterances; at most ``max_contexts`` of them (a seeded draw) are its contexts.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from envs.teacher_demo.corpus import CDI_WORDS


@dataclass(frozen=True)
class WordSet:
    """Tracked words and, per word, its contexts: (evaluation utterance index, word position)."""

    name: str
    words: tuple[str, ...]
    contexts: dict[str, list[tuple[int, int]]]


def build_word_sets(
    eval_sentences: list[str],
    vocabulary: set[str],
    min_contexts: int = 100,
    max_contexts: int = 512,
    common_size: int = 300,
    seed: int = 0,
) -> dict[str, WordSet]:
    """``{"cmn": ..., "cdi": ...}`` from the evaluation utterances (words separated by spaces)."""
    occurrences: dict[str, list[tuple[int, int]]] = {}
    for i, sentence in enumerate(eval_sentences):
        for position, word in enumerate(sentence.split()):
            occurrences.setdefault(word, []).append((i, position))
    counts = Counter({w: len(p) for w, p in occurrences.items()})
    qualified = [w for w, n in counts.most_common() if n >= min_contexts and w.isalpha() and w in vocabulary]
    rng = random.Random(seed)

    def contexts(word: str) -> list[tuple[int, int]]:
        pairs = occurrences[word]
        return sorted(rng.sample(pairs, max_contexts)) if len(pairs) > max_contexts else list(pairs)

    chosen = {"cmn": qualified[:common_size], "cdi": [w for w in qualified if w in set(CDI_WORDS)]}
    sets = {}
    for name, words in chosen.items():
        if not words:
            raise ValueError(
                f"the {name} word set is empty: no word has {min_contexts} evaluation contexts; "
                "lower min_contexts or use a larger corpus"
            )
        sets[name] = WordSet(name, tuple(words), {w: contexts(w) for w in words})
    return sets
