"""Neural age of acquisition from synthetic surprisal curves whose midpoints are known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit

from agents.aoa import (
    THRESHOLDS,
    crossings,
    effective_vocabulary,
    fit_curve,
    naoa,
    naoa_range,
    summarize_aoa,
)

X = np.linspace(0, 4, 25)  # log10 steps of checkpoints 1 to 10^4


def falling(mid: float, noise: float = 0.0, rise: float = 0.0, seed: int = 0) -> np.ndarray:
    """From 12 bits down to 6 around ``mid``, then up by ``rise`` around log step 3.6."""
    noise_bits = np.random.default_rng(seed).normal(0, noise, len(X))
    return 12 - 6 * expit(6 * (X - mid)) + rise * expit(8 * (X - 3.6)) + noise_bits


@pytest.mark.parametrize("mid", [1.0, 2.0, 3.0])
def test_naoa_at_half_recovers_a_sigmoids_midpoint(mid):
    assert fit_curve(X, falling(mid)).ok
    assert naoa(X, falling(mid)) == pytest.approx(mid, abs=0.03)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noisy_points_still_fit(seed):
    y = falling(2.0, noise=0.3, seed=seed)
    assert fit_curve(X, y).ok
    assert naoa(X, y) == pytest.approx(2.0, abs=0.2)


def test_a_later_curve_is_acquired_later():
    ages = [naoa(X, falling(mid)) for mid in (0.8, 1.6, 2.4, 3.2)]
    assert ages == sorted(ages) and len(set(ages)) == len(ages)


def test_higher_thresholds_come_later_so_the_range_is_after_the_half():
    ages = crossings(X, falling(1.5), THRESHOLDS)
    assert ages[0] == naoa(X, falling(1.5))
    assert np.all(np.diff(ages) >= 0)
    assert naoa_range(X, falling(1.5)) > naoa(X, falling(1.5))


def test_a_late_rise_or_an_early_rise_does_not_move_the_acquisition():
    assert naoa(X, falling(2.0, rise=1.0)) == pytest.approx(2.0, abs=0.05)
    y = falling(2.0)
    y[:5] = np.linspace(10, 12, 5)  # surprisal climbs before it falls
    assert naoa(X, y) == pytest.approx(2.0, abs=0.1)


def test_a_flat_curve_is_never_acquired():
    for y in (np.full(len(X), 7.0), np.full(len(X), 7.0) + 1e-5 * np.sin(X)):
        assert math.isnan(naoa(X, y))
        assert math.isnan(naoa_range(X, y))


@pytest.mark.parametrize(
    "x, y",
    [
        ([0, 1], [10, 5]),  # two points: too few for the double sigmoid
        ([0, 1, 2, 3, 4, 5, 6, 7], [5] * 8),  # constant
        ([1] * 8, [3, 2, 1, 3, 2, 1, 3, 1]),  # one step only
        (X, np.where(np.arange(len(X)) % 4 == 0, np.nan, falling(1.5))),  # NaN values
        ([0, np.nan, 2], [10, 8, np.nan]),  # one finite point left
        ([], []),
    ],
)
def test_degenerate_input_never_raises(x, y):
    fit = fit_curve(x, y)
    assert len(fit.x) == 0 or np.all(np.isfinite(fit.predict(np.linspace(0, 7, 5))))
    age, ages = naoa(x, y), naoa_range(x, y)
    assert math.isnan(age) == math.isnan(ages)


def test_too_few_points_fall_back_to_the_running_minimum():
    fit = fit_curve([0, 1, 2], [10, 6, 8])
    assert not fit.ok
    assert fit.predict([0, 0.5, 1, 2]) == pytest.approx([10, 8, 6, 6])
    assert naoa([0, 1], [10, 5]) == pytest.approx(0.5, abs=0.01)


def test_nan_values_are_dropped():
    y = falling(1.5)
    y[[3, 10, 17]] = np.nan
    assert naoa(X, y) == pytest.approx(naoa(X, falling(1.5)), abs=0.05)


def test_effective_vocabulary_counts_words_acquired_by_each_step():
    ages = {"a": 0.5, "b": 1.5, "c": math.nan, "d": 1.5, "e": 2.9}
    steps = np.linspace(0, 4, 9)
    sizes = effective_vocabulary(ages, steps)
    assert np.all(np.diff(sizes) >= 0)
    assert sizes == [sum(a <= s for a in ages.values() if not math.isnan(a)) for s in steps]
    assert effective_vocabulary(ages, [0.4, 0.5, 1.5, 4]) == [0, 1, 3, 4]


def test_summary_means_the_acquired_words_and_counts_the_others():
    curves = {"early": falling(1.0), "late": falling(3.0), "flat": np.full(len(X), 7.0)}
    summary = summarize_aoa(curves, X)
    words = summary["words"]
    assert summary["not_acquired"] == 1
    assert math.isnan(words["flat"]["naoa"]) and math.isnan(words["flat"]["naoa_range"])
    assert words["early"]["naoa"] == pytest.approx(naoa(X, curves["early"]))
    assert words["late"]["naoa_range"] == pytest.approx(naoa_range(X, curves["late"]))
    assert summary["naoa"] == pytest.approx((words["early"]["naoa"] + words["late"]["naoa"]) / 2)
    assert summary["naoa_range"] > summary["naoa"]
    assert math.isnan(summarize_aoa({"flat": curves["flat"]}, X)["naoa"])
