"""The TnD study's tokenizer: one token per word.

TnD evaluates words that are a single token of the student's tokenizer (GPT-2's, with a leading
space). A word-level vocabulary over the training utterances makes every word one token, so every
word can be tracked, and keeps sequences short on a CPU. ``<eos>`` ends a continuation and also
starts every sequence, so that the first word of an utterance has a context to be predicted from.
There is no chat template: trials and demonstrations are plain continuations of text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

PAD, UNK, EOS = "<pad>", "<unk>", "<eos>"


def build_teacher_demo_tokenizer(train_sentences: Iterable[str], max_vocab: int = 4096):
    """A word-level ``PreTrainedTokenizerFast``: ``<pad>`` 0, ``<unk>`` 1, ``<eos>`` 2, then the
    training words by frequency, at most ``max_vocab`` tokens in all (rarer words are ``<unk>``)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from envs.teacher_demo.corpus import words_of

    counts = Counter(w for sentence in train_sentences for w in words_of(sentence))
    words = [w for w, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    vocab = {token: i for i, token in enumerate([PAD, UNK, EOS, *words[: max(0, max_vocab - 3)]])}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    # WordPiece's decoder with no continuing prefix joins tokens with single spaces.
    backend.decoder = decoders.WordPiece(prefix="\0", cleanup=False)
    backend.add_special_tokens([PAD, UNK, EOS])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token=PAD, unk_token=UNK, eos_token=EOS, model_max_length=128
    )
    return tokenizer


def encode_sentence(tokenizer, sentence: str) -> list[int]:
    """``<eos>``, the utterance's word ids, ``<eos>``: one training (or evaluation) sequence."""
    eos = tokenizer.eos_token_id
    return [eos, *tokenizer(sentence, add_special_tokens=False).input_ids, eos]
