"""The byte-level tokenizer of the in-tool learning paper, as a Hugging Face fast tokenizer.

256 byte tokens (id = byte value) and four role tokens: ``<|user|>`` 256, ``<|assistant|>`` 257,
``<|database|>`` 258, ``<|eod|>`` 259; vocabulary 260. Its chat template renders a conversation
as the paper's stream, each message its role token followed by the UTF-8 bytes of its content,
and ``<|eod|>`` at the end of the dialog::

    <|user|>When was Ann Lee born?<|assistant|>To answer ...```sql\\nFIND birth_date FOR Ann Lee\\n```
    <|database|>3/4/1975<|assistant|>Ann Lee was born on 3/4/1975.<|eod|>

(one line here; the stream has no separators). The assistant's span for the loss, marked with
``{% generation %}``, is its content plus the role token that ends its turn (``<|database|>``
before a tool answer, ``<|eod|>`` at the end): the model learns when to stop and whom to hand
over to, never the question or the database output. Tool messages render as ``<|database|>``;
env feedback (role ``user``) as ``<|user|>``.
"""

from __future__ import annotations

from transformers import PreTrainedTokenizerFast

USER, ASSISTANT, DATABASE, EOD = "<|user|>", "<|assistant|>", "<|database|>", "<|eod|>"
ROLE_TOKENS = (USER, ASSISTANT, DATABASE, EOD)
ROLE_OF = {"user": USER, "system": USER, "assistant": ASSISTANT, "tool": DATABASE}

# The opening token of message i is written by the previous assistant's generation span when that
# message follows an assistant turn, so each role token appears exactly once in the stream.
CHAT_TEMPLATE = (
    "{%- set roles = {'user': '<|user|>', 'system': '<|user|>', 'assistant': '<|assistant|>', "
    "'tool': '<|database|>'} -%}"
    "{%- for message in messages -%}"
    "{%- set after_assistant = not loop.first and loop.previtem['role'] == 'assistant' -%}"
    "{%- if message['role'] == 'assistant' -%}"
    "{%- if not after_assistant %}<|assistant|>{% endif -%}"
    "{%- set closing = roles[loop.nextitem['role']] if not loop.last else '<|eod|>' -%}"
    "{%- generation %}{{ message['content'] }}{{ closing }}{% endgeneration -%}"
    "{%- else -%}"
    "{%- if not after_assistant %}{{ roles[message['role']] }}{% endif -%}"
    "{{ message['content'] }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt %}<|assistant|>"
    "{%- elif messages and messages[-1]['role'] != 'assistant' %}<|eod|>{% endif -%}"
)


def build_tokenizer() -> PreTrainedTokenizerFast:
    """The 260-token byte-level tokenizer with its chat template; no files, no downloads."""
    return byte_level_tokenizer(
        list(ROLE_TOKENS), eos=EOD, chat_template=CHAT_TEMPLATE, extra=[USER, ASSISTANT, DATABASE]
    )


def byte_level_tokenizer(
    special_tokens: list[str], eos: str, chat_template: str, extra: list[str] = ()
) -> PreTrainedTokenizerFast:
    """One token per byte (id = byte value), then ``special_tokens`` from id 256 on, in order.

    ``eos`` (one of them) also pads; ``extra`` lists the others that must never be split.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.pre_tokenizers import ByteLevel

    # ByteLevel maps each byte to one printable unicode character; a BPE model with those 256
    # characters and no merges is exactly "one token per byte", with ids equal to byte values.
    byte_chars = ByteLevel.alphabet()
    byte_to_char = _bytes_to_unicode()
    vocab = {byte_to_char[b]: b for b in range(256)}
    assert set(vocab) == set(byte_chars)
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    backend.add_special_tokens(list(special_tokens))  # ids 256, 257, ... in this order
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
    ids = tokenizer.convert_tokens_to_ids(list(special_tokens))
    expected = list(range(256, 256 + len(special_tokens)))
    if ids != expected or len(tokenizer) != expected[-1] + 1:
        raise RuntimeError(f"unexpected special token ids {ids} / vocabulary {len(tokenizer)}")
    return tokenizer


def turn_stop_ids(tokenizer) -> list[int]:
    """Token ids that end an assistant turn: every role token the tokenizer knows."""
    ids = tokenizer.convert_tokens_to_ids([t for t in ROLE_TOKENS if t in tokenizer.get_vocab()])
    return sorted({i for i in ids if i is not None} | {tokenizer.eos_token_id})


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map, which the ByteLevel pre-tokenizer uses."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars, strict=True)}
