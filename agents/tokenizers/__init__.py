"""Tokenizers and chat templates: the generic byte-level builder here, one file per study beside it.

A study's tokenizer declares the tokens that end an assistant turn (``turn_end_tokens``, saved in
``tokenizer_config.json``, so they travel with a checkpoint); :func:`turn_end_ids` reads them for
:class:`~agents.lm_agent.LMAgent`. :func:`assistant_only_examples` and :func:`attach_tokens` turn
conversations into token ids with the chat template's assistant mask, for every learner.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

TURN_END_KEY = "turn_end_tokens"


def byte_level_tokenizer(
    special_tokens: list[str],
    eos: str,
    chat_template: str,
    extra: Sequence[str] = (),
    turn_ends: Sequence[str] = (),
):
    """One token per byte (id = byte value), then ``special_tokens`` from id 256 on, in order.

    ``eos`` (one of them) also pads; ``extra`` lists the others that must never be split;
    ``turn_ends`` are the tokens that end an assistant turn (besides ``eos``), declared in the
    tokenizer's saved config.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    # ByteLevel maps each byte to one printable unicode character (GPT-2's map); a BPE model with
    # those 256 characters and no merges is exactly "one token per byte", with ids = byte values.
    vocab = {char: byte for byte, char in bytes_to_unicode().items()}
    if set(vocab) != set(ByteLevel.alphabet()):
        raise RuntimeError("transformers' byte map differs from the tokenizers ByteLevel alphabet")
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    backend.add_special_tokens(list(special_tokens))  # ids 256, 257, ... in this order
    tokenizer = _fast_tokenizer(backend, eos, chat_template, extra, turn_ends)
    ids = tokenizer.convert_tokens_to_ids(list(special_tokens))
    expected = list(range(256, 256 + len(special_tokens)))
    if ids != expected or len(tokenizer) != expected[-1] + 1:
        raise RuntimeError(f"unexpected special token ids {ids} / vocabulary {len(tokenizer)}")
    return tokenizer


def bpe_tokenizer(
    texts: Iterable[str],
    vocab_size: int,
    special_tokens: list[str],
    eos: str,
    chat_template: str,
    extra: Sequence[str] = (),
    turn_ends: Sequence[str] = (),
):
    """A byte-level BPE tokenizer trained on ``texts`` (the ``tokenizers`` library's trainer):
    ``special_tokens`` (ids 0, 1, ... in order), the 256 bytes, then the merges, up to
    ``vocab_size`` tokens in all. Any text encodes (there is no unknown token) and decodes back.

    A study whose prompts are long (tool descriptions) trains one on its own generated text, so
    a from-scratch model reads 3-4x fewer tokens than with bytes alone. ``eos``, ``extra`` and
    ``turn_ends`` are as in :func:`byte_level_tokenizer`. Deterministic for the same ``texts``.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(special_tokens),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer=trainer)
    tokenizer = _fast_tokenizer(backend, eos, chat_template, extra, turn_ends)
    return tokenizer


def _fast_tokenizer(backend, eos: str, chat_template: str, extra: Sequence[str], turn_ends: Sequence[str]):
    """The transformers tokenizer over a ``tokenizers`` backend: ``eos`` also pads, no BOS."""
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=None,
        eos_token=eos,
        pad_token=eos,
        additional_special_tokens=list(extra),
        clean_up_tokenization_spaces=False,
        model_max_length=1024,
    )
    tokenizer.chat_template = chat_template
    declare_turn_ends(tokenizer, turn_ends)
    return tokenizer


ROLE_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'assistant' -%}"
    "<|assistant|>{% generation %}{{ message['content'] }}<|end|>{% endgeneration %}"
    "{%- elif message['role'] == 'tool' -%}<|tool|>{{ message['content'] }}"
    "{%- else -%}<|user|>{{ message['content'] }}{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt %}<|assistant|>{% endif -%}"
)
"""A chat template over ``<|user|>``, ``<|assistant|>``, ``<|tool|>`` and ``<|end|>``: each message
its role token and content, the assistant's content and ``<|end|>`` its generation (loss) span."""


def declare_turn_ends(tokenizer, tokens: Sequence[str]) -> None:
    """Record the tokens that end an assistant turn in the tokenizer's saved config."""
    unknown = [t for t in tokens if t not in tokenizer.get_vocab()]
    if unknown:
        raise ValueError(f"turn-end tokens {unknown} are not in the tokenizer's vocabulary")
    tokenizer.init_kwargs[TURN_END_KEY] = list(tokens)


def turn_end_ids(tokenizer) -> list[int]:
    """Token ids that end an assistant turn: those the tokenizer declares, and ``eos``."""
    declared = tokenizer.init_kwargs.get(TURN_END_KEY) or []
    ids = set(tokenizer.convert_tokens_to_ids(list(declared))) if declared else set()
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    return sorted(i for i in ids if i is not None)


def chat_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """The role and text of each message, what a study's chat template renders.

    Structured ``tool_calls`` / ``tool_call_id`` fields are left out: the study's own text in
    ``content`` is the stream the model reads and writes.
    """
    return [{"role": m["role"], "content": m["content"]} for m in messages]


def assistant_only_examples(
    tokenizer, conversations: Sequence[Sequence[dict[str, Any]]]
) -> list[dict[str, list[int]]]:
    """Token ids of each conversation and its labels: the ids on the assistant's spans, -100 elsewhere."""
    encoded = tokenizer.apply_chat_template(
        [chat_messages(c) for c in conversations],
        tokenize=True,
        return_dict=True,
        return_assistant_tokens_mask=True,
        truncation=True,
        max_length=tokenizer.model_max_length,
    )
    return [
        {"input_ids": ids, "labels": [token if keep else -100 for token, keep in zip(ids, mask, strict=True)]}
        for ids, mask in zip(encoded["input_ids"], encoded["assistant_masks"], strict=True)
    ]


def attach_tokens(tokenizer, episodes: list) -> list:
    """Fill each record's ``token_ids``, ``tokens`` (each token's text) and ``loss_mask``
    (1 where the learner would train), so a replay shows the tokens as this tokenizer cut them."""
    examples = assistant_only_examples(tokenizer, [e.messages for e in episodes])
    for episode, example in zip(episodes, examples, strict=True):
        episode.token_ids = example["input_ids"]
        episode.tokens = token_strings(tokenizer, example["input_ids"])
        episode.loss_mask = [int(label != -100) for label in example["labels"]]
        episode.tokenizer = getattr(tokenizer, "name_or_path", None) or None
    return episodes


def token_strings(tokenizer, ids: Sequence[int]) -> list[str]:
    """The text of each token on its own; a byte that is only part of a UTF-8 character shows as
    its hex value (``<c5>``), as the TUI's token view prints it."""
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    byte_of = {char: byte for byte, char in bytes_to_unicode().items()}
    strings = []
    for token in ids:
        text = tokenizer.decode([token], skip_special_tokens=False)
        if "\ufffd" in text:
            raw = tokenizer.convert_ids_to_tokens(token) or ""
            if raw and all(c in byte_of for c in raw):  # a byte-level token: show its bytes
                text = "".join(f"<{byte_of[c]:02x}>" for c in raw)
        strings.append(text)
    return strings
