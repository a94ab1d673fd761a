"""The TnD study's tokenizer: one token per word.

TnD evaluates only words that are a single token of the student's tokenizer (GPT-2's, with a
leading space), so that a word's surprisal is one token's. A word-level vocabulary over the
training utterances makes every word one token, so every word can be tracked, and keeps
sequences short on a CPU. The split into words is the ``Whitespace`` pre-tokenizer, the same as
:func:`envs.teacher_demo.corpus.words_of`.

``<eos>`` ends a continuation and also starts every sequence (:func:`encode_sentence`), in place
of a BOS token, so that the first word of an utterance has a context to be predicted from and
its surprisal can be measured like any other word's. There is no chat template: the study's text
is plain continuation (a prompt's first words, then the student's or teacher's next words).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from envs.checks import check_int
from envs.teacher_demo.corpus import words_of

PAD, UNK, EOS = "<pad>", "<unk>", "<eos>"
SPECIAL_TOKENS = (PAD, UNK, EOS)
"""Ids 0, 1, 2, in this order."""
MAX_LENGTH = 128  # the longest generated utterance is 14 words, 16 tokens with its two <eos>


def build_teacher_demo_tokenizer(train_sentences: Iterable[str], max_vocab: int = 4096):
    """A word-level ``PreTrainedTokenizerFast``: ``<pad>`` 0, ``<unk>`` 1, ``<eos>`` 2, then the
    training words by frequency (ties alphabetical), ``max_vocab`` tokens at most in all; rarer
    words and words never seen in training are ``<unk>``. Deterministic for the same text."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    check_int("max_vocab", max_vocab, minimum=len(SPECIAL_TOKENS) + 1)
    counts = Counter(word for sentence in train_sentences for word in words_of(sentence))
    words = sorted(counts, key=lambda word: (-counts[word], word))[: max_vocab - len(SPECIAL_TOKENS)]
    vocab = {token: i for i, token in enumerate([*SPECIAL_TOKENS, *words])}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    # No decoder: the tokenizers library then joins tokens with single spaces, which is exactly
    # the corpus's form ("look at the doggy ."); a WordPiece or Metaspace decoder would need tricks.
    backend.add_special_tokens(list(SPECIAL_TOKENS))  # already ids 0-2; marks them special
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token=PAD,
        unk_token=UNK,
        eos_token=EOS,
        bos_token=None,
        # transformers' clean-up would glue punctuation back on ("doggy."): keep the corpus's spaces.
        clean_up_tokenization_spaces=False,
        model_max_length=MAX_LENGTH,
    )


def encode_sentence(tokenizer, sentence: str) -> list[int]:
    """``<eos>``, the utterance's word ids, ``<eos>``: one training (or evaluation) sequence."""
    eos = tokenizer.eos_token_id
    return [eos, *tokenizer(sentence, add_special_tokens=False).input_ids, eos]
