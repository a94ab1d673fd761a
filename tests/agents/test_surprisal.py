"""Per-word surprisal in context: batched and padded, it equals one context read at a time."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from agents.model import build_model
from agents.surprisal import unigram_surprisal, word_surprisals

torch.set_num_threads(1)

# Lengths 5, 3 and 7: in a batch the shorter rows are padded.
SEQUENCES = [[2, 5, 6, 7, 2], [2, 7, 2], [2, 6, 5, 5, 7, 9, 2]]
POSITIONS = {"six": [(0, 2), (2, 1)], "seven": [(0, 3), (1, 1), (2, 4)], "five": [(2, 3)]}


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model(20, layers=1, heads=2, width=16)


def one_at_a_time(model, sequences, positions) -> dict[str, float]:
    """Each context in its own unpadded forward pass, the mean of its bits per word."""
    means = {}
    with torch.no_grad():
        for word, pairs in positions.items():
            bits = []
            for row, position in pairs:
                logits = model(input_ids=torch.tensor([sequences[row][:position]])).logits[0, -1]
                p = torch.log_softmax(logits, dim=-1)[sequences[row][position]].exp().item()
                bits.append(-math.log2(p + 1e-6))
            means[word] = sum(bits) / len(bits)
    return means


@pytest.mark.parametrize("batch_size", [1, 2, 64])
def test_batched_surprisals_equal_each_context_read_alone(model, batch_size):
    model.eval()
    expected = one_at_a_time(model, SEQUENCES, POSITIONS)
    assert word_surprisals(model, SEQUENCES, POSITIONS, batch_size=batch_size) == pytest.approx(
        expected, abs=1e-4
    )


def test_the_models_mode_is_restored(model):
    model.train()
    word_surprisals(model, SEQUENCES, POSITIONS)
    assert model.training
    model.eval()
    word_surprisals(model, SEQUENCES, POSITIONS)
    assert not model.training


def test_a_word_without_contexts_is_nan_and_a_position_without_context_is_refused(model):
    assert math.isnan(word_surprisals(model, SEQUENCES, {"none": []})["none"])
    with pytest.raises(ValueError, match="position 0"):
        word_surprisals(model, SEQUENCES, {"start": [(0, 0)]})


class AlwaysThree(torch.nn.Module):
    """A causal LM sure, at every position, that the next token is 3."""

    def __init__(self):
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # gives the module a device

    def forward(self, input_ids, attention_mask=None):
        logits = torch.full((*input_ids.shape, 10), -1e4)
        logits[..., 3] = 1e4
        return SimpleNamespace(logits=logits)


def test_a_sure_model_has_zero_bits_when_right_and_the_smoothing_cap_when_wrong():
    got = word_surprisals(AlwaysThree(), [[2, 3, 3], [2, 4]], {"three": [(0, 1), (0, 2)], "four": [(1, 1)]})
    assert got["three"] == pytest.approx(0.0, abs=1e-5)
    assert got["four"] == pytest.approx(-math.log2(1e-6), abs=1e-3)


def test_unigram_surprisal_is_minus_log2_frequency():
    got = unigram_surprisal({"a": 3, "b": 1}, ["a", "b", "unseen"])
    assert got == pytest.approx({"a": math.log2(4 / 3), "b": 2.0, "unseen": 2.0})
