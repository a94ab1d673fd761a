"""Turn-end tokens travel with a saved tokenizer, and an LMAgent on the reloaded one stops on them."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoTokenizer

from agents.lm_agent import LMAgent
from agents.model import build_model
from agents.tokenizers import TURN_END_KEY, byte_level_tokenizer, turn_end_ids

TEMPLATE = (
    "{%- for message in messages -%}<|{{ message['role'] }}|>"
    "{%- if message['role'] == 'assistant' %}{% generation %}{{ message['content'] }}<|done|>"
    "{% endgeneration %}{% else %}{{ message['content'] }}{% endif -%}{%- endfor -%}"
    "{%- if add_generation_prompt %}<|assistant|>{% endif -%}"
)


def saying(tokenizer, token: str, width: int = 8):
    """A tiny causal LM that always writes ``token`` (its output layer is a bias on that token)."""
    model = build_model(len(tokenizer), width=width)
    head = torch.nn.Linear(width, len(tokenizer), bias=True)
    with torch.no_grad():
        head.weight.zero_()
        head.bias.fill_(-10.0)
        head.bias[tokenizer.convert_tokens_to_ids(token)] = 10.0
    model.lm_head = head
    return model


def test_declared_turn_ends_survive_a_save_and_stop_the_agent(tmp_path):
    tokenizer = byte_level_tokenizer(
        ["<|user|>", "<|assistant|>", "<|done|>", "<|end|>"],
        eos="<|end|>",
        chat_template=TEMPLATE,
        turn_ends=["<|done|>"],
    )
    tokenizer.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path, local_files_only=True)
    done = reloaded.convert_tokens_to_ids("<|done|>")
    assert done in turn_end_ids(reloaded) and turn_end_ids(reloaded) == turn_end_ids(tokenizer)

    conversation = [{"role": "user", "content": "hi"}]
    model = saying(reloaded, "<|done|>")
    stopped = LMAgent(model, reloaded, max_new_tokens=5)
    assert stopped.act([conversation], {}) == [""]  # ended on its first token, not after 5

    reloaded.init_kwargs.pop(TURN_END_KEY)  # without the declaration nothing stops the turn
    assert LMAgent(model, reloaded, max_new_tokens=5).act([conversation], {}) == ["<|done|>" * 5]


@pytest.mark.parametrize("static_cache", [False, True])
def test_a_doomed_row_stops_after_its_newline_while_the_others_go_on(static_cache):
    tokenizer = byte_level_tokenizer(
        ["<|user|>", "<|assistant|>", "<|done|>", "<|end|>"], eos="<|end|>", chat_template=TEMPLATE
    )
    newline = tokenizer.convert_ids_to_tokens(tokenizer.encode("\n", add_special_tokens=False))[0]
    asked = []

    def doomed(conversation, partial):
        asked.append(partial)
        return conversation[-1]["content"] == "stop" and partial.count("\n") == 2

    model = saying(tokenizer, newline)
    agent = LMAgent(model, tokenizer, max_new_tokens=6, doomed=doomed, static_cache=static_cache)
    conversations = [[{"role": "user", "content": "stop"}], [{"role": "user", "content": "go"}]]
    assert agent.act(conversations, {}) == ["\n\n", "\n" * 6]
    assert "\n" * 5 in asked  # the other row was asked at each of its newlines
