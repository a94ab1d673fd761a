"""A language-model agent: batched generation with a KV cache, one assistant turn per call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from transformers import StoppingCriteria, StoppingCriteriaList

from agents.base import Agent, Conversation
from agents.tokenizers import turn_end_ids


class LMAgent(Agent):
    """Plays a causal LM: renders each conversation with the tokenizer's chat template, generates
    the next turn for the whole batch at once (``model.generate``, KV cache, left padding) and stops
    each sequence at its own end of turn: a token the tokenizer declares as a turn end, or ``eos``
    (not part of the turn's text), or
    one of ``stop_strings`` (kept at the end of the turn, as the env reads it: ``<call>``).

    Args:
        model: a Hugging Face causal LM.
        tokenizer: its tokenizer, with a chat template.
        max_new_tokens: longest turn generated.
        do_sample: sample instead of greedy decoding (evaluation is greedy).
        temperature, top_p: sampling settings.
        batch_size: most conversations generated together; more are sorted by prompt length and
            split, so each ``generate`` pads little.
        name: written into trajectory records.
        stop_strings: text that ends a turn and belongs to it (an env's ``turn_ends``). One that is
            a single token stops on that token; others go to ``generate(stop_strings=...)``.
        static_cache: generate with transformers' static KV cache (``cache_implementation="static"``).
            The default dynamic cache copies every layer's keys and values at each new token; with
            long prompts in large batches on a CPU that copy is most of the time (a 1M-parameter
            model, 250 prompts of 650 tokens: 2.3x faster static, ``bench/generation_cache.py``).
        doomed: ``doomed(conversation, turn_so_far) -> bool`` (an env's :meth:`envs.core.TextEnv.doomed`),
            asked each time a row's newest token ends a line or opens a call (holds ``\n`` or
            ``(``, :data:`ASK_AT`): a row it dooms stops there, cut after that token, while the
            rest of the batch goes on. A batch decodes until its longest row ends, so one malformed
            plan running on to ``max_new_tokens`` held up all of it.
    """

    def __init__(
        self,
        model,
        tokenizer,
        max_new_tokens: int = 192,
        do_sample: bool = False,
        temperature: float = 1.0,
        top_p: float = 1.0,
        batch_size: int = 512,
        name: str = "lm",
        stop_strings: Sequence[str] = (),
        static_cache: bool = False,
        doomed: Callable[[Conversation, str], bool] | None = None,
    ):
        self.model, self.tokenizer = model, tokenizer
        self.doomed = doomed
        self._ask_ids = None
        self.static_cache = static_cache
        self.max_new_tokens, self.do_sample = max_new_tokens, do_sample
        self.temperature, self.top_p, self.batch_size = temperature, top_p, batch_size
        self.name = name
        vocabulary = tokenizer.get_vocab()
        self.kept_stop_ids = {vocabulary[text] for text in stop_strings if text in vocabulary}
        self.stop_strings = [text for text in stop_strings if text not in vocabulary]
        self.stop_ids = sorted(set(turn_end_ids(tokenizer)) | self.kept_stop_ids)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.stop_ids[-1]

    def act(self, conversations: Sequence[Conversation], hints: dict[str, Sequence[Any]]) -> list[str]:
        if not conversations:
            return []
        prompts = self.tokenizer.apply_chat_template(
            [list(c) for c in conversations], add_generation_prompt=True, tokenize=True, return_dict=False
        )
        # More conversations than one batch: each batch takes prompts of similar length, so that less
        # of it is padding and its cache is shorter (a joiner's turns follow plans of 1 to 11 steps:
        # 1.23x faster on TinyAgent's evaluation, docs/benchmarks.md).
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        turns: list[str] = [""] * len(prompts)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            written = self._generate([conversations[i] for i in rows], [prompts[i] for i in rows])
            for i, turn in zip(rows, written, strict=True):
                turns[i] = turn
        return turns

    def _generate(self, conversations: Sequence[Conversation], prompts: list[list[int]]) -> list[str]:
        import torch

        input_ids, attention_mask = left_padded(prompts, self.pad_id)
        width = input_ids.shape[1]
        device = self.model.device
        was_training = self.model.training
        self.model.eval()
        sampling = {"temperature": self.temperature, "top_p": self.top_p} if self.do_sample else {}
        if self.stop_strings:
            sampling.update(stop_strings=self.stop_strings, tokenizer=self.tokenizer)
        if self.static_cache:  # one preallocated cache instead of a torch.cat per token and layer
            sampling["cache_implementation"] = "static"
        doomed_rows = None
        if self.doomed is not None:
            doomed_rows = _DoomedRows(self.doomed, conversations, self.tokenizer, self.ask_ids(), width)
            sampling["stopping_criteria"] = StoppingCriteriaList([doomed_rows])
        with torch.inference_mode():
            output = self.model.generate(
                input_ids=input_ids.to(device),
                attention_mask=attention_mask.to(device),
                max_new_tokens=self.max_new_tokens,
                do_sample=self.do_sample,
                eos_token_id=self.stop_ids,
                pad_token_id=self.pad_id,
                **sampling,
            )
        self.model.train(was_training)
        turns = []
        stops = set(self.stop_ids)
        for index, row in enumerate(output[:, width:].tolist()):
            end = next((i for i, token in enumerate(row) if token in stops), len(row))
            end += end < len(row) and row[end] in self.kept_stop_ids
            if doomed_rows is not None:
                end = min(end, doomed_rows.cut.get(index, end))
            turns.append(
                self._cut_at_stop_string(self.tokenizer.decode(row[:end], skip_special_tokens=False))
            )
        return turns

    def ask_ids(self):
        """A boolean tensor over the vocabulary: which tokens' text holds one of :data:`ASK_AT`
        (computed once)."""
        import torch

        if self._ask_ids is None:
            texts = self.tokenizer.batch_decode([[i] for i in range(len(self.tokenizer))])
            self._ask_ids = torch.tensor([any(mark in text for mark in ASK_AT) for text in texts])
        return self._ask_ids

    def _cut_at_stop_string(self, text: str) -> str:
        ends = [text.index(stop) + len(stop) for stop in self.stop_strings if stop in text]
        return text[: min(ends)] if ends else text


# Where a turn is worth judging: a line ended, or a call opened (its name is then complete). Asking
# at every token would decode every row's turn at every step.
ASK_AT = ("\n", "(")


class _DoomedRows(StoppingCriteria):
    """A per-row stopping criterion for ``generate``: asks ``doomed`` about a row's turn so far
    whenever its newest token holds one of :data:`ASK_AT`, and stops the rows it dooms (``cut``:
    row -> tokens of the turn kept)."""

    def __init__(self, doomed, conversations, tokenizer, ask_ids, width: int):
        self.doomed, self.conversations, self.tokenizer = doomed, conversations, tokenizer
        self.ask_ids, self.width = ask_ids, width
        self.cut: dict[int, int] = {}

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        stop = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        written = input_ids[:, self.width :]
        if written.shape[1] == 0:
            return stop
        for row in torch.nonzero(self.ask_ids[written[:, -1].cpu()]).flatten().tolist():
            if row in self.cut:
                continue
            turn = self.tokenizer.decode(written[row].tolist(), skip_special_tokens=False)
            if self.doomed(self.conversations[row], turn):
                self.cut[row] = written.shape[1]
                stop[row] = True
        return stop


def left_padded(prompts: Sequence[Sequence[int]], pad_id: int):
    """Input ids and attention mask of ``prompts`` padded on the left, so that every prompt ends at
    the same column and generation continues each one from its own last token."""
    import torch

    width = max(len(p) for p in prompts)
    input_ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        input_ids[row, width - len(prompt) :] = torch.tensor(list(prompt))
        attention_mask[row, width - len(prompt) :] = 1
    return input_ids, attention_mask
