"""The calculator study's tokenizer: bytes plus TRL's four markers, rendering TRL's plain text.

A conversation with ``toolgym/Calculator-v0`` renders as the stream of TRL's "learning to use a
calculator" example (one line here)::

    What is 13 - 3?\\n\\n<request><SimpleCalculatorTool>13-3<call>10<response>\\n\\nResult=10<submit>

``<request>`` 256, ``<call>`` 257, ``<response>`` 258, ``<submit>`` 259 and ``<|endoftext|>``
260 (ends a document, pads) are single tokens, so a turn ends on one token (``<call>`` or
``<submit>``, the env's ``turn_ends``) and the sequences stay short; everything else is one token
per byte. The template writes the blank line before each assistant turn (the generation prompt)
and marks the assistant's own text, ``<call>`` / ``<submit>`` included, as ``{% generation %}``:
those are the tokens the policy is trained on, never the question or the tool's answer.
"""

from __future__ import annotations

from transformers import PreTrainedTokenizerFast

from agents.tokenizers import byte_level_tokenizer

REQUEST, CALL, RESPONSE, SUBMIT, END = "<request>", "<call>", "<response>", "<submit>", "<|endoftext|>"
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'assistant' -%}"
    "{%- generation %}{{ message['content'] }}{% endgeneration -%}"
    "{%- else -%}"
    "{{ message['content'] }}"
    "{%- endif -%}"
    "{%- if not loop.last and loop.nextitem['role'] == 'assistant' %}{{ '\\n\\n' }}{% endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt %}{{ '\\n\\n' }}{% endif -%}"
)


def build_calculator_tokenizer() -> PreTrainedTokenizerFast:
    """The 261-token calculator tokenizer with its chat template; no files, no downloads.

    No token but ``<|endoftext|>`` ends a turn on its own: the env's ``turn_ends`` (``<call>``,
    ``<submit>``) do, and the agent keeps them in the turn's text.
    """
    return byte_level_tokenizer(
        [REQUEST, CALL, RESPONSE, SUBMIT, END], eos=END, chat_template=CHAT_TEMPLATE,
        extra=[REQUEST, CALL, RESPONSE, SUBMIT],
    )  # fmt: skip
