"""A plain-text continuation agent: the prompt is text to continue, not a chat.

TnD's student and teacher are language models prompted with the first words of an utterance
(no roles, no chat template); each writes the rest of it, sampled with top-k 20 as in the paper.
Generation is batched (left padding, one ``generate`` for the batch) and stops at ``eos``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents.base import Agent, Conversation


class ContinuationAgent(Agent):
    """Continues each conversation's first message as plain text with a causal LM.

    Args:
        model: a Hugging Face causal LM.
        tokenizer: its tokenizer (``eos_token`` ends a continuation and starts every sequence).
        max_new_tokens: longest continuation.
        do_sample: sample (top-k) instead of greedy decoding.
        top_k: sampling keeps the ``top_k`` most likely tokens (the paper's 20).
        suppress: token ids the model may never write (the paper's masked teacher words).
        batch_size: most prompts generated together.
        name: written into trajectory records.
    """

    def __init__(
        self,
        model,
        tokenizer,
        max_new_tokens: int = 24,
        do_sample: bool = True,
        top_k: int = 20,
        suppress: Sequence[int] = (),
        batch_size: int = 256,
        name: str = "continuation",
    ):
        self.model, self.tokenizer = model, tokenizer
        self.max_new_tokens, self.do_sample, self.top_k = max_new_tokens, do_sample, top_k
        self.suppress, self.batch_size, self.name = list(suppress), batch_size, name

    def act(self, conversations: Sequence[Conversation], hints: dict[str, Sequence[Any]]) -> list[str]:
        return self.continue_texts([c[0]["content"] for c in conversations])

    def continue_texts(self, prompts: Sequence[str]) -> list[str]:
        """The continuation of each prompt, as text (words joined by spaces)."""
        texts: list[str] = []
        for start in range(0, len(prompts), self.batch_size):
            rows = self.generate_ids(prompts[start : start + self.batch_size])
            texts.extend(self.tokenizer.decode(row) for row in rows)
        return texts

    def prompt_ids(self, prompt: str) -> list[int]:
        return [self.tokenizer.eos_token_id, *self.tokenizer(prompt, add_special_tokens=False).input_ids]

    def generate_ids(self, prompts: Sequence[str]) -> list[list[int]]:
        """The generated token ids of each prompt, up to (not including) ``eos``."""
        import torch

        from agents.lm_agent import left_padded

        pad, eos = self.tokenizer.pad_token_id, self.tokenizer.eos_token_id
        input_ids, attention_mask = left_padded([self.prompt_ids(p) for p in prompts], pad)
        width = input_ids.shape[1]
        options: dict[str, Any] = {"top_k": self.top_k, "top_p": 1.0} if self.do_sample else {}
        if self.suppress:
            options["suppress_tokens"] = self.suppress
        was_training = self.model.training
        self.model.eval()
        with torch.inference_mode():
            output = self.model.generate(
                input_ids=input_ids.to(self.model.device),
                attention_mask=attention_mask.to(self.model.device),
                max_new_tokens=self.max_new_tokens,
                do_sample=self.do_sample,
                eos_token_id=eos,
                pad_token_id=pad,
                **options,
            )
        self.model.train(was_training)
        rows = []
        for row in output[:, width:].tolist():
            rows.append(row[: row.index(eos)] if eos in row else row)
        return rows
