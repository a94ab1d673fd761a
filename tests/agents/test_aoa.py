"""Neural age of acquisition from surprisal curves, and the surprisal of words in context."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from agents.aoa import crossings, effective_vocabulary, fit_curve, naoa, naoa_range
from agents.model import build_model
from agents.surprisal import unigram_surprisal, word_surprisals

X = np.linspace(0, 3, 30)


def falling(mid: float, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    return 12 - 6 / (1 + np.exp(-4 * (X - mid))) + np.random.default_rng(seed).normal(0, noise, len(X))


@pytest.mark.parametrize("mid", [0.8, 1.5, 2.2])
def test_naoa_at_half_recovers_a_sigmoids_midpoint(mid):
    assert naoa(X, falling(mid)) == pytest.approx(mid, abs=0.05)
    assert naoa(X, falling(mid, noise=0.2)) == pytest.approx(mid, abs=0.2)


def test_a_later_curve_is_acquired_later_and_higher_thresholds_come_later():
    assert naoa(X, falling(1.0)) < naoa(X, falling(2.0))
    ages = crossings(X, falling(1.5), [0.5, 0.7, 0.95])
    assert ages == sorted(ages)
    assert naoa_range(X, falling(1.5)) > naoa(X, falling(1.5))


def test_an_early_rise_is_not_acquisition():
    y = falling(2.0)
    y[:6] = np.linspace(9, 12, 6)  # surprisal rises first (the model unlearns the unigram prior)
    assert naoa(X, y) > 1.5


def test_a_flat_curve_is_never_acquired_and_degenerate_input_never_raises():
    assert math.isnan(naoa(X, np.full(len(X), 7.0)))
    assert math.isnan(naoa_range(X, np.full(len(X), 7.0)))
    assert math.isfinite(naoa([0, 1], [10, 5]))
    assert math.isnan(naoa([], []))
    y = falling(1.2)
    y[[3, 10]] = np.nan
    assert naoa(X, y) == pytest.approx(1.2, abs=0.1)
    assert not fit_curve([0, 1], [10, 5]).ok


def test_effective_vocabulary_counts_words_acquired_by_each_step():
    sizes = effective_vocabulary({"a": 0.5, "b": 1.5, "c": math.nan, "d": 1.5}, [0, 1, 1.5, 3])
    assert sizes == [0, 1, 3, 3]


def _tiny_model():
    torch.manual_seed(0)
    return build_model(20, layers=1, heads=2, width=16)


def test_word_surprisals_equal_a_direct_computation_whatever_the_batching():
    model = _tiny_model()
    model.train()
    sequences = [[2, 5, 6, 7, 2], [2, 7, 2], [2, 6, 5, 5, 7, 9, 2]]
    positions = {"six": [(0, 2), (2, 1)], "seven": [(0, 3), (1, 1), (2, 4)]}
    expected = {}
    with torch.no_grad():
        for word, pairs in positions.items():
            bits = []
            for row, position in pairs:
                logits = model(input_ids=torch.tensor([sequences[row]])).logits[0, position - 1]
                p = torch.softmax(logits, -1)[sequences[row][position]].item()
                bits.append(-math.log2(p + 1e-6))
            expected[word] = sum(bits) / len(bits)
    for batch_size in (1, 2, 64):
        got = word_surprisals(model, sequences, positions, batch_size=batch_size)
        assert got == pytest.approx(expected, abs=1e-4)
    assert model.training  # the caller's mode is restored


def test_a_model_sure_of_the_word_has_zero_surprisal():
    class Sure(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(1))

        def forward(self, input_ids, attention_mask=None):
            logits = torch.full((*input_ids.shape, 10), -1e4)
            logits[..., 3] = 1e4  # always predicts token 3
            return type("Output", (), {"logits": logits})()

    got = word_surprisals(Sure(), [[2, 3, 3], [2, 4]], {"three": [(0, 1), (0, 2)], "four": [(1, 1)]})
    assert got["three"] == pytest.approx(0.0, abs=1e-4)
    assert got["four"] == pytest.approx(-math.log2(1e-6), abs=1e-3)


def test_unigram_surprisal_is_minus_log2_frequency():
    assert unigram_surprisal({"a": 3, "b": 1}, ["a", "b"]) == pytest.approx({"a": math.log2(4 / 3), "b": 2.0})
