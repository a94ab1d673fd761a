"""The words whose acquisition is measured, and their evaluation contexts (TnD's rules).

Two sets, as in the paper: common words (``cmn``: the most frequent words of the evaluation text)
and CDI words (``cdi``: MacArthur-Bates CDI-like early words). A word is a candidate when it is a
single token of the tokenizer (its surprisal is then one token's), alphabetic (no punctuation),
and has at least ``min_contexts`` occurrences in the evaluation utterances, so its mean surprisal
is not the noise of a few sentences; at most ``max_contexts`` of them (a seeded draw) are its
contexts, which bounds the cost of evaluating a checkpoint.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from envs.checks import check_int
from envs.teacher_demo.corpus import CDI_WORDS


@dataclass(frozen=True)
class WordSet:
    """Tracked words and where each is evaluated."""

    name: str
    """``"cmn"`` or ``"cdi"``."""
    words: tuple[str, ...]
    """The words, most frequent in the evaluation text first."""
    contexts: dict[str, list[tuple[int, int]]]
    """Per word, sorted (evaluation utterance index, word position) pairs: the word is
    ``eval_sentences[index].split()[position]``."""


def build_word_sets(
    eval_sentences: list[str],
    vocabulary: set[str],
    min_contexts: int = 100,
    max_contexts: int = 512,
    common_size: int = 300,
    seed: int = 0,
) -> dict[str, WordSet]:
    """``{"cmn": ..., "cdi": ...}`` from the evaluation utterances (words separated by spaces).

    A word in both sets has the same contexts in both. Raises ``ValueError`` when a set is empty.
    """
    check_int("min_contexts", min_contexts, minimum=1)
    check_int("max_contexts", max_contexts, minimum=1)
    check_int("common_size", common_size, minimum=1)
    occurrences = _occurrences(eval_sentences)
    counts = Counter({word: len(pairs) for word, pairs in occurrences.items()})
    # most_common keeps first-seen order among equal counts, so the ranking is deterministic.
    qualified = [w for w, n in counts.most_common() if n >= min_contexts and w.isalpha() and w in vocabulary]
    cdi = set(CDI_WORDS)
    chosen = {"cmn": qualified[:common_size], "cdi": [w for w in qualified if w in cdi]}
    sets = {}
    for name, words in chosen.items():
        if not words:
            raise ValueError(_empty_set_message(name, counts, vocabulary, min_contexts, len(eval_sentences)))
        contexts = {w: _sample_contexts(occurrences[w], max_contexts, seed, w) for w in words}
        sets[name] = WordSet(name, tuple(words), contexts)
    return sets


def _occurrences(sentences: list[str]) -> dict[str, list[tuple[int, int]]]:
    """Every (utterance index, position) of every word, in text order."""
    occurrences: dict[str, list[tuple[int, int]]] = {}
    for i, sentence in enumerate(sentences):
        for position, word in enumerate(sentence.split()):
            occurrences.setdefault(word, []).append((i, position))
    return occurrences


def _sample_contexts(pairs: list[tuple[int, int]], limit: int, seed: int, word: str) -> list[tuple[int, int]]:
    """At most ``limit`` of ``pairs``, sorted. The draw is seeded by the word too, so a word's
    contexts do not depend on which other words qualified."""
    if len(pairs) <= limit:
        return list(pairs)
    return sorted(random.Random(f"{seed}:{word}").sample(pairs, limit))


def _empty_set_message(
    name: str, counts: Counter, vocabulary: set[str], min_contexts: int, sentences: int
) -> str:
    frequent = [w for w, n in counts.items() if n >= min_contexts and w.isalpha()]
    candidates = [w for w in frequent if w in vocabulary]
    why = (
        f"{len(frequent)} alphabetic words have {min_contexts}+ occurrences in the {sentences:,} evaluation "
        f"utterances, {len(candidates)} of them single tokens of the tokenizer"
    )
    if name == "cdi":
        why += ", none of them a CDI word"
    return f"the {name} word set is empty: {why}; lower min_contexts or use a larger corpus"
