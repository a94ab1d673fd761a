"""The calculator tokenizer renders TRL's text stream; the agent stops on the env's turn ends."""

from __future__ import annotations

import gymnasium as gym
import torch
from transformers import AutoTokenizer

import envs  # noqa: F401
from agents.lm_agent import LMAgent
from agents.oracle import OracleAgent
from agents.rollout import rollout
from agents.tokenizers import attach_tokens
from agents.tokenizers.calculator import build_calculator_tokenizer
from envs.calculator.env import CalculatorEnv

TRL_STREAM = "What is 13 - 3?\n\n<request><SimpleCalculatorTool>13-3<call>10<response>\n\nResult=10<submit>"


def oracle_episode():
    task = next(i for i in range(7500) if _question(i) == "What is 13 - 3?")
    return rollout(lambda: gym.make("toolgym/Calculator-v0"), OracleAgent(), tasks=[{"task_id": task}])[0]


def _question(task_id):
    from envs.calculator.tasks import task_from_id

    return task_from_id(task_id, False).question


def test_template_renders_trls_stream_and_masks_only_the_models_text(tmp_path):
    tokenizer = build_calculator_tokenizer()
    episode = attach_tokens(tokenizer, [oracle_episode()])[0]
    assert tokenizer.decode(episode.token_ids) == TRL_STREAM
    trained = "".join(
        tokenizer.decode([t]) for t, keep in zip(episode.token_ids, episode.loss_mask, strict=True) if keep
    )
    assert trained == "<request><SimpleCalculatorTool>13-3<call>Result=10<submit>"
    # The markers are single tokens; the rest is one token per byte.
    assert len(episode.token_ids) == len(TRL_STREAM.encode()) - sum(
        len(m) - 1 for m in ("<request>", "<call>", "<response>", "<submit>")
    )
    tokenizer.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    assert reloaded.apply_chat_template(episode.messages, tokenize=False) == TRL_STREAM


class ScriptedModel(torch.nn.Module):
    """Stands in for a causal LM: ``generate`` appends a fixed continuation to every prompt."""

    def __init__(self, continuation: list[int]):
        super().__init__()
        self.continuation = continuation
        self.anchor = torch.nn.Parameter(torch.zeros(1))

    @property
    def device(self):
        return self.anchor.device

    def generate(self, input_ids, **kwargs):
        tail = torch.tensor([self.continuation] * input_ids.shape[0])
        return torch.cat([input_ids, tail], dim=1)


def test_agent_keeps_the_turn_end_the_env_reads():
    tokenizer = build_calculator_tokenizer()
    call = tokenizer.encode("<request><SimpleCalculatorTool>2*3<call>Result=6<submit>")
    agent = LMAgent(ScriptedModel(call), tokenizer, stop_strings=CalculatorEnv.turn_ends)
    conversation = [{"role": "user", "content": "What is 2 * 3?"}]
    assert agent.act([conversation], {}) == ["<request><SimpleCalculatorTool>2*3<call>"]
    # Without the env's turn ends the turn runs on to the end of the generation.
    plain = LMAgent(ScriptedModel(call), tokenizer)
    assert plain.act([conversation], {})[0].endswith("Result=6<submit>")


def test_multi_token_turn_ends_are_cut_from_the_text():
    # A turn end that is several tokens (as "<call>" is for GPT-2) goes to generate's
    # stop_strings; the turn is cut right after it.
    tokenizer = build_calculator_tokenizer()
    agent = LMAgent(ScriptedModel(tokenizer.encode("abc STOP def")), tokenizer, stop_strings=("STOP",))
    assert agent.act([[{"role": "user", "content": "go"}]], {}) == ["abc STOP"]
