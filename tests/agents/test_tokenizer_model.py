"""The paper's byte tokenizer, its chat template and loss mask; the model factory."""

from __future__ import annotations

import gymnasium as gym
import pytest
from transformers import AutoTokenizer

import envs  # noqa: F401
from agents.model import build_model, load_model, parameter_count
from agents.oracle import OracleAgent
from agents.rollout import rollout
from agents.tokenizers.memory import build_memory_tokenizer

ROLE_IDS = {"user": 256, "assistant": 257, "tool": 258}
EOD = 259


def paper_stream(messages):
    """The in-tool learning paper's DialogTokenizer, written from its description: each message is
    its role token then its UTF-8 bytes; <|eod|> ends the dialog. The loss mask marks the positions
    whose next token is trained: the assistant's role token and content."""
    tokens, input_mask = [], []
    for message in messages:
        piece = [ROLE_IDS[message["role"]], *message["content"].encode("utf-8")]
        tokens += piece
        input_mask += [message["role"] == "assistant"] * len(piece)
    return [*tokens, EOD], [*input_mask, False]


@pytest.fixture(scope="module")
def conversations():
    episodes = rollout(
        lambda: gym.make("toolgym/PeopleMemory-v0", n_people=30), OracleAgent(), 40, num_envs=8
    )
    weight = rollout(
        lambda: gym.make("toolgym/PeopleMemory-v0", n_people=30, mode="in_weight"), OracleAgent(), 10
    )
    return [e.messages for e in episodes + weight]


def test_template_renders_the_paper_stream_byte_for_byte(conversations):
    tokenizer = build_memory_tokenizer()
    assert len(tokenizer) == 260
    for messages in conversations:
        encoded = tokenizer.apply_chat_template(
            messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
        )
        tokens, input_mask = paper_stream(messages)
        assert encoded["input_ids"] == tokens
        # Trained targets are the tokens that follow a masked input position in the paper.
        paper_targets = [False, *input_mask[:-1]]
        assert encoded["assistant_masks"] == [int(x) for x in paper_targets]


def test_loss_mask_never_covers_question_or_database_output(conversations):
    tokenizer = build_memory_tokenizer()
    messages = conversations[0]
    encoded = tokenizer.apply_chat_template(
        messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    trained = bytes(
        t for t, m in zip(encoded["input_ids"], encoded["assistant_masks"], strict=True) if m and t < 256
    )
    assert messages[0]["content"].encode() not in trained
    assert trained == b"".join(m["content"].encode() for m in messages if m["role"] == "assistant")
    ends = [
        t for t, m in zip(encoded["input_ids"], encoded["assistant_masks"], strict=True) if m and t >= 256
    ]
    assert ends == [258, EOD]  # the turn-ending role tokens are trained


def test_save_and_reload_round_trip(tmp_path, conversations):
    tokenizer = build_memory_tokenizer()
    tokenizer.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path, local_files_only=True)
    for messages in conversations[:5]:
        kwargs = dict(tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
        assert reloaded.apply_chat_template(messages, **kwargs) == tokenizer.apply_chat_template(
            messages, **kwargs
        )
    assert reloaded.decode(reloaded.encode("héllo ```sql")) == "héllo ```sql"


def test_generation_prompt_ends_with_the_assistant_token(conversations):
    tokenizer = build_memory_tokenizer()
    ids = tokenizer.apply_chat_template(
        conversations[0][:3], add_generation_prompt=True, tokenize=True, return_dict=False
    )
    assert ids[-1] == 257 and ids.count(258) == 1


@pytest.mark.parametrize("width", [4, 16, 36])
def test_parameter_count_is_the_papers_formula(width):
    assert parameter_count(build_model(260, layers=2, heads=2, width=width)) == 32 * width**2 + 525 * width


def test_bad_width_and_missing_model_path(tmp_path):
    with pytest.raises(ValueError, match="width=5"):
        build_model(260, width=5)
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        load_model(tmp_path / "nothing-here")


def test_itls_model_choices_are_options_kept_through_save_and_load(tmp_path, caplog):
    import math

    import torch

    model = build_model(260, 2, 2, 16, norm_eps=1e-5, rope_angle_scale=2 * math.pi, init="itl")
    assert model.model.norm.variance_epsilon == 1e-5
    # itl's init: normals truncated at 3 std, std 16 ** -0.5 = 0.25, the MLP's output (4 x 16) ** -0.5
    layers = model.model.layers
    expected = [
        (layers[0].mlp.up_proj.weight, 0.25),
        (layers[0].self_attn.q_proj.weight, 0.25),
        (model.lm_head.weight, 0.25),
        (model.model.embed_tokens.weight, 0.25),
        (layers[1].mlp.down_proj.weight, 0.125),
    ]
    for weight, std in expected:
        assert weight.abs().max().item() <= 3 * std
        assert 0.9 * std < weight.std().item() < 1.05 * std  # a +-3 std cut trims the std by 1.3%
    assert torch.equal(model.model.norm.weight, torch.ones(16))
    cos, _ = model.model.rotary_emb(torch.zeros(1, 4, 16), torch.arange(4)[None])
    head_dim = 8
    inverse = 1 / 10000 ** (torch.arange(0, head_dim, 2).float() / head_dim)
    angles = 2 * math.pi * torch.arange(4).float()[:, None] * inverse
    assert torch.allclose(cos[0], torch.cat([angles, angles], -1).cos(), atol=1e-5)  # Llama's x 2 pi
    model.save_pretrained(tmp_path)
    build_memory_tokenizer().save_pretrained(tmp_path)
    with caplog.at_level("WARNING"):
        loaded, _ = load_model(tmp_path)
    assert loaded.config.rope_parameters == model.config.rope_parameters
    assert "factor" not in caplog.text  # transformers' warning about factors below 1 is dropped
    plain = build_model(260, 2, 2, 16)  # the defaults are transformers' own
    assert plain.config.rope_parameters["rope_type"] == "default" and plain.config.rms_norm_eps == 1e-6
    assert 0.015 < plain.lm_head.weight.std().item() < 0.025
    with pytest.raises(ValueError, match=r"init='xavier'.*'transformers', 'itl'"):
        build_model(260, init="xavier")
