"""The memory study's tokenizer: the in-tool learning paper's byte-level tokens, a fast tokenizer.

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

from agents.tokenizers import byte_level_tokenizer

USER, ASSISTANT, DATABASE, EOD = "<|user|>", "<|assistant|>", "<|database|>", "<|eod|>"
ROLE_TOKENS = (USER, ASSISTANT, DATABASE, EOD)

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


def build_memory_tokenizer() -> PreTrainedTokenizerFast:
    """The 260-token byte-level tokenizer with its chat template; no files, no downloads.

    Every role token ends an assistant turn (the model hands over to whoever speaks next).
    """
    return byte_level_tokenizer(
        list(ROLE_TOKENS),
        eos=EOD,
        chat_template=CHAT_TEMPLATE,
        extra=[USER, ASSISTANT, DATABASE],
        turn_ends=list(ROLE_TOKENS),
    )
