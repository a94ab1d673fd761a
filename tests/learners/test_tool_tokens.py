"""The tool-token learner: only the round's rows train, the base stays bit for bit, rounds stack."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from agents.model import build_model
from agents.tokenizers.function_calling import RESERVED, build_function_calling_tokenizer, tool_token_ids
from envs.trajectory import Trajectory
from learners.replay import ReplayBuffer
from learners.tool_tokens import ToolTokenConfig, initialize_tool_rows, renormalize, train_tool_tokens

CITIES = ("Paris", "Oslo", "Lima", "Kyiv")


def conversations(tools: range) -> list[Trajectory]:
    return [
        Trajectory(
            env_id="toolgym/FunctionCalling-v0",
            messages=[
                {"role": "user", "content": f"tool {tool} for {city}"},
                {"role": "assistant", "content": RESERVED.format(tool) + f'{{"city": "{city}"}}'},
            ],
            reward=0.0,
            terminated=True,
            truncated=False,
        )
        for tool in tools
        for city in CITIES
    ]


def config(**changes) -> ToolTokenConfig:
    options = dict(
        learning_rate=5e-2, lora_learning_rate=1e-2, epochs=[2], batch_size=4, logging_steps=50, save_steps=50
    )
    return ToolTokenConfig(**{**options, **changes})


def weights(model) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def changed_rows(before: dict, after: dict) -> dict[str, list[int] | str]:
    changed = {}
    for name, tensor in before.items():
        if not torch.equal(tensor, after[name]):
            rows = (tensor != after[name]).reshape(tensor.shape[0], -1).any(-1)
            changed[name] = rows.nonzero().flatten().tolist() if tensor.dim() == 2 else "all"
    return changed


@pytest.fixture
def tokenizer():
    return build_function_calling_tokenizer(8)


def tiny(tokenizer):
    torch.manual_seed(0)
    return build_model(len(tokenizer), layers=1, heads=2, width=16, tie_embeddings=True)


def test_tokens_only_rounds_change_only_their_rows_and_keep_the_base_bit_for_bit(tokenizer, tmp_path):
    ids = tool_token_ids(tokenizer, 8)
    model = tiny(tokenizer)
    base = weights(model)
    options = config(lora=None)
    round1, round2 = ids[:4], ids[4:]
    model, trainable = train_tool_tokens(
        model, tokenizer, conversations(range(4)), 1, round1, ids, options, tmp_path / "r1", progress=False
    )
    after1 = weights(model)
    assert trainable == 4 * 16
    # Round 1 initialises every tool row once, then trains its own; nothing else moves.
    assert set(changed_rows(base, after1)) == {"model.embed_tokens.weight", "lm_head.weight"}
    assert set(changed_rows(base, after1)["model.embed_tokens.weight"]) == set(ids)
    model, _ = train_tool_tokens(
        model, tokenizer, conversations(range(4, 8)), 2, round2, ids, options, tmp_path / "r2", progress=False
    )
    after2 = weights(model)
    assert changed_rows(after1, after2)["model.embed_tokens.weight"] == round2  # round 1's rows untouched
    assert set(changed_rows(after1, after2)) <= {"model.embed_tokens.weight", "lm_head.weight"}
    # Tied: the output row is the input row.
    assert torch.equal(after2["lm_head.weight"], after2["model.embed_tokens.weight"])
    # The merged model saved for the next round is the one returned.
    reloaded = type(model).from_pretrained(tmp_path / "r2" / "merged")
    assert not changed_rows(after2, weights(reloaded))


def test_lora_trains_in_round_one_only(tokenizer, tmp_path):
    ids = tool_token_ids(tokenizer, 8)
    model = tiny(tokenizer)
    options = config(lora=dataclasses.replace(ToolTokenConfig().lora, r=2, dropout=0.0))
    model, trainable1 = train_tool_tokens(
        model, tokenizer, conversations(range(4)), 1, ids[:4], ids, options, tmp_path / "r1", progress=False
    )
    assert trainable1 > 4 * 16  # the LoRA matrices of q_proj and v_proj too
    after1 = weights(model)
    model, trainable2 = train_tool_tokens(
        model,
        tokenizer,
        conversations(range(4, 8)),
        2,
        ids[4:],
        ids,
        options,
        tmp_path / "r2",
        progress=False,
    )
    assert trainable2 == 4 * 16
    assert set(changed_rows(after1, weights(model))) <= {"model.embed_tokens.weight", "lm_head.weight"}


def test_training_lowers_the_loss_of_the_round(tokenizer, tmp_path):
    from agents.tokenizers import assistant_only_examples
    from learners.sft import PadToLongest

    ids = tool_token_ids(tokenizer, 4)
    model = tiny(tokenizer)
    data = conversations(range(4))

    def loss(m) -> float:
        examples = assistant_only_examples(tokenizer, [t.messages for t in data])
        with torch.no_grad():
            return float(m(**PadToLongest(tokenizer.pad_token_id)(examples)).loss)

    initialize_tool_rows(model, ids)
    before = loss(model)
    model, _ = train_tool_tokens(
        model, tokenizer, data, 1, ids, ids, config(lora=None, epochs=[8]), tmp_path, progress=False
    )
    assert loss(model) < before


def test_renorm_rescales_new_rows_to_the_old_rows_norm(tokenizer):
    model = tiny(tokenizer)
    ids = tool_token_ids(tokenizer, 8)
    with torch.no_grad():
        model.get_input_embeddings().weight[ids[4:]] *= 7.0
    renormalize(model, ids[4:], ids[:4])
    weight = model.get_input_embeddings().weight
    old = weight[ids[:4]].norm(dim=-1).mean()
    assert torch.allclose(weight[ids[4:]].norm(dim=-1), old.expand(4), atol=1e-5)


def test_missing_reserved_tokens_are_named(tokenizer):
    with pytest.raises(ValueError, match="reserved_special_token_8"):
        tool_token_ids(tokenizer, 9)


def test_bad_options_name_the_key():
    with pytest.raises(ValueError, match="epochs"):
        ToolTokenConfig(epochs=[])
    with pytest.raises(ValueError, match="learning_rate"):
        ToolTokenConfig(learning_rate=-1)


def test_replay_mixes_the_asked_share_of_earlier_examples():
    buffer = ReplayBuffer(size=50, ratio=0.2, seed=0)
    buffer.add([("old", i) for i in range(200)])
    assert len(buffer.examples) == 50
    mixed = buffer.mix([("new", i) for i in range(80)])
    assert len(mixed) == 100
    assert sum(kind == "old" for kind, _ in mixed) == 20
    with pytest.raises(ValueError, match="ratio"):
        ReplayBuffer(ratio=1.0)
