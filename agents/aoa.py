"""Neural age of acquisition: when a word's surprisal curve is a given share of the way down.

TnD fits each word's surprisal over log10 steps with a double sigmoid (curves fall, plateau, and
can rise or fall again near the unigram surprisal) and reads nAoA@t, the log10 step where the
fitted curve first crosses ``top - t (top - bottom)``, after the curve's maximum so that an early
rise is not taken for learning. nAoA@[.5:.95] is the mean over t = .50, .55, ..., .95.

The fit is ``scipy.optimize.curve_fit``; when it fails, the running minimum of the points,
interpolated linearly, stands in (still monotone, so a crossing is defined).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

THRESHOLDS = np.arange(0.5, 0.951, 0.05)
FLAT_BITS = 1e-3  # a curve that falls less than this has not been learnt: nAoA is NaN


def double_sigmoid(x, top, drop1, mid1, rate1, drop2, mid2, rate2):
    """``top - drop1 * s(rate1 (x - mid1)) - drop2 * s(rate2 (x - mid2))``, ``s`` the logistic:
    a fall of ``drop1`` around ``mid1`` and a second change of ``drop2`` (negative: a rise)."""
    return top - drop1 / (1 + np.exp(-rate1 * (x - mid1))) - drop2 / (1 + np.exp(-rate2 * (x - mid2)))


@dataclass(frozen=True)
class FitResult:
    x: np.ndarray
    y: np.ndarray
    params: tuple[float, ...] | None
    """The double sigmoid's parameters, or None when the fit failed (``ok`` False)."""

    @property
    def ok(self) -> bool:
        return self.params is not None

    def predict(self, grid: np.ndarray) -> np.ndarray:
        if self.params is not None:
            return double_sigmoid(grid, *self.params)
        return np.interp(grid, self.x, np.minimum.accumulate(self.y))


def fit_curve(log_steps: Sequence[float], values: Sequence[float]) -> FitResult:
    """The double sigmoid through the points (NaNs dropped); never raises for >= 1 finite point."""
    from scipy.optimize import OptimizeWarning, curve_fit

    x, y = np.asarray(log_steps, dtype=float), np.asarray(values, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 8:  # fewer points than parameters + 1: no fit, the running minimum
        return FitResult(x, y, None)
    span = max(float(y.max() - y.min()), 1e-3)
    lo, hi = float(x.min()), float(x.max())
    start = (float(y[0]), span, (lo + hi) / 2, 5.0, 0.0, hi, 5.0)
    bounds = (
        [float(y.min()) - span, 0.0, lo, 0.1, -2 * span, lo, 0.1],
        [float(y.max()) + span, 3 * span, hi, 50.0, 2 * span, hi, 50.0],
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            params, _ = curve_fit(double_sigmoid, x, y, p0=start, bounds=bounds, maxfev=20000)
    except (RuntimeError, ValueError):
        return FitResult(x, y, None)
    return FitResult(x, y, tuple(float(p) for p in params))


def crossings(
    log_steps: Sequence[float], values: Sequence[float], thresholds: Sequence[float]
) -> list[float]:
    """nAoA@t for each t of ``thresholds``, from one fit (NaN each if the curve does not fall)."""
    fit = fit_curve(log_steps, values)
    if len(fit.x) == 0:
        return [math.nan] * len(thresholds)
    grid = np.linspace(fit.x.min(), fit.x.max(), 1000)
    curve = fit.predict(grid)
    peak = int(np.argmax(curve))
    top, bottom = float(curve[peak]), float(curve[peak:].min())
    if top - bottom < FLAT_BITS:
        return [math.nan] * len(thresholds)
    ages = []
    for threshold in thresholds:
        below = np.nonzero(curve[peak:] <= top - threshold * (top - bottom))[0]
        ages.append(float(grid[peak + below[0]]))
    return ages


def naoa(log_steps: Sequence[float], values: Sequence[float], threshold: float = 0.5) -> float:
    """nAoA@``threshold`` in log10 steps (NaN if the curve does not fall)."""
    return crossings(log_steps, values, [threshold])[0]


def naoa_range(log_steps, values, thresholds: Sequence[float] = THRESHOLDS) -> float:
    """The mean of nAoA@t over ``thresholds`` (NaN if the curve does not fall)."""
    return float(np.mean(crossings(log_steps, values, thresholds)))


def effective_vocabulary(naoas: dict[str, float], log_steps: Sequence[float]) -> list[int]:
    """At each log step, how many words have an nAoA@.5 at or before it."""
    ages = np.array([a for a in naoas.values() if math.isfinite(a)])
    return [int((ages <= x).sum()) for x in log_steps]
