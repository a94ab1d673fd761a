"""The function-calling study's tokenizers: bytes, three role tokens and reserved tool tokens.

TokMem gives each tool one of Llama-3's ``<|reserved_special_token_k|>`` tokens; the from-scratch
tokenizer here has the same names (:data:`RESERVED`), so the env's tool-token format and the
tool-token learner treat it and a local Llama-3 tokenizer alike. The reserved rows are untrained
in the pre-trained base: the study's tools are learned into them.

A local model (``model=PATH``) keeps its own vocabulary; :func:`tokmem_chat_template` gives it
TokMem's prompt (Llama-3 headers, no system prompt, no blank line after the assistant header)
with the ``{% generation %}`` marks the learners' loss mask needs.
"""

from __future__ import annotations

from agents.tokenizers import ROLE_TEMPLATE, byte_level_tokenizer, declare_turn_ends

USER, ASSISTANT, TOOL, END = "<|user|>", "<|assistant|>", "<|tool|>", "<|end|>"
RESERVED = "<|reserved_special_token_{}|>"
# Llama-3 has 248 free reserved tokens; TokMem caps its tools there too.
MAX_TOOL_TOKENS = 248
MAX_LENGTH = 2048

CHAT_TEMPLATE = ROLE_TEMPLATE

LLAMA3_HEADERS = ("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")
TOKMEM_CHAT_TEMPLATE = (
    "<|begin_of_text|>"
    "{%- for message in messages -%}"
    "<|start_header_id|>{{ message['role'] }}<|end_header_id|>"
    "{%- if message['role'] == 'assistant' -%}"
    "{% generation %}{{ message['content'] }}<|eot_id|>{% endgeneration %}"
    "{%- else -%}\n{{ message['content'] }}<|eot_id|>{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>{% endif -%}"
)


def build_function_calling_tokenizer(tool_tokens: int = MAX_TOOL_TOKENS):
    """Bytes (ids 0-255), ``<|user|>``, ``<|assistant|>``, ``<|tool|>``, ``tool_tokens`` reserved
    tool tokens, and ``<|end|>`` last (it ends turns and pads)."""
    if not 1 <= tool_tokens <= MAX_TOOL_TOKENS:
        raise ValueError(f"tool_tokens={tool_tokens} is not valid; use 1..{MAX_TOOL_TOKENS}")
    reserved = [RESERVED.format(i) for i in range(tool_tokens)]
    tokenizer = byte_level_tokenizer(
        [USER, ASSISTANT, TOOL, *reserved, END],
        eos=END,
        chat_template=CHAT_TEMPLATE,
        extra=[USER, ASSISTANT, TOOL, *reserved],
    )
    tokenizer.model_max_length = MAX_LENGTH  # five described tools and a three-tool query, in bytes
    return tokenizer


def tool_token_ids(tokenizer, count: int) -> list[int]:
    """The ids of the first ``count`` reserved tokens, in order (tool ``i`` is ``RESERVED.format(i)``)."""
    names = [RESERVED.format(i) for i in range(count)]
    vocabulary = tokenizer.get_vocab()
    missing = [name for name in names if name not in vocabulary]
    if missing:
        raise ValueError(
            f"the tokenizer has no {missing[0]} ({len(missing)} of the {count} tool tokens missing); "
            f"a tool-token model needs {count} reserved tokens named like Llama-3's"
        )
    return [vocabulary[name] for name in names]


def use_tokmem_template(tokenizer):
    """Give a local Llama-3 tokenizer TokMem's prompt with generation marks; ``<|eot_id|>`` ends turns."""
    missing = [token for token in LLAMA3_HEADERS if token not in tokenizer.get_vocab()]
    if missing:
        raise ValueError(
            f"model=PATH needs a Llama-3 style tokenizer (TokMem's prompt); it lacks {', '.join(missing)}"
        )
    tokenizer.chat_template = TOKMEM_CHAT_TEMPLATE
    declare_turn_ends(tokenizer, ["<|eot_id|>"])
    if tokenizer.pad_token is None:
        tokenizer.pad_token = "<|eot_id|>"
    return tokenizer
