"""The TinyAgent planner study's tokenizer: byte-level BPE trained on the study's own text.

A planner prompt lists tool descriptions before the request, about 1,500 bytes with all 16 tools;
in bytes that is too long for a from-scratch model on a CPU. A BPE tokenizer trained on the
generated prompts, plans and joiner turns (:func:`agents.tokenizers.bpe_tokenizer`) writes each tool
name, argument name and common word as one or a few tokens. It still has every byte, so any text a
user types (Unicode names) encodes. The chat template is :data:`agents.tokenizers.ROLE_TEMPLATE`:
the plan and the joiner's answer are assistant turns, the observations a ``<|tool|>`` message.

A local model (``model=PATH``, TinyLlama) keeps its own tokenizer and chat template.
"""

from __future__ import annotations

from collections.abc import Iterable

from agents.tokenizers import ROLE_TEMPLATE, bpe_tokenizer

USER, ASSISTANT, TOOL, END = "<|user|>", "<|assistant|>", "<|tool|>", "<|end|>"
VOCAB_SIZE = 2048
MAX_LENGTH = 2048  # the longest test conversation (11 steps, all 16 tools described) is ~1,500 tokens


def build_tinyagent_tokenizer(texts: Iterable[str], vocab_size: int = VOCAB_SIZE):
    """BPE over ``texts`` with the role tokens; ``<|end|>`` ends turns and pads."""
    tokenizer = bpe_tokenizer(
        texts,
        vocab_size,
        [USER, ASSISTANT, TOOL, END],
        eos=END,
        chat_template=ROLE_TEMPLATE,
        extra=[USER, ASSISTANT, TOOL],
    )
    tokenizer.model_max_length = MAX_LENGTH
    return tokenizer
