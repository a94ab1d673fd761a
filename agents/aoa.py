"""Neural age of acquisition: when a word's surprisal curve is a given share of the way down.

TnD reads when a student learns a word from its surprisal curve (mean surprisal in context at
each checkpoint, over log10 steps): the curve starts near the uniform surprisal, falls, often
plateaus near the unigram surprisal and then falls again or rises a little. Each curve is fitted
with a double sigmoid (:func:`double_sigmoid`) and nAoA@t is the log10 step where the fitted
curve first comes ``t`` of the way down from its top to its bottom; nAoA@[.5:.95] is the mean of
nAoA@t over t = .50, .55, ..., .95, less sensitive than nAoA@.5 alone to where the fall begins.
The effective vocabulary at step n is the number of words whose nAoA@.5 is at most log10 n.

The fit is ``scipy.optimize.curve_fit``; when it fails, the running minimum of the points,
interpolated linearly, stands in (still falling, so the crossings are defined).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

THRESHOLDS = np.arange(0.5, 0.951, 0.05)
"""The t of nAoA@[.5:.95]; the first is .5, nAoA@.5."""
FLAT_BITS = 1e-3  # a fitted curve that falls less than this has not been learnt: its nAoA is NaN
GRID_POINTS = 1000  # where the fitted curve is read, evenly spaced over the log steps measured
PARAMETERS = 7  # of the double sigmoid; fewer points than this leave a fit undetermined
# curve_fit's tolerances, on values scaled to [0, 1]: far finer than the grid nAoA is read on,
# and noisy curves converge in tens of evaluations where the default 1e-8 can take thousands.
TOLERANCE = 1e-5


def double_sigmoid(x, top, fall, mid, rate, change, later_mid, later_rate):
    """``top - fall * s(rate (x - mid)) - change * s(later_rate (x - later_mid))``, ``s`` the logistic.

    The first term is the word's learning, a fall of ``fall`` bits (>= 0 when fitted) centred on
    ``mid``; the second is the other change TnD's curves show, a second fall (``change`` > 0) or
    a rise (``change`` < 0) centred on ``later_mid``.
    """
    return top - fall * expit(rate * (x - mid)) - change * expit(later_rate * (x - later_mid))


def double_sigmoid_jacobian(x, top, fall, mid, rate, change, later_mid, later_rate):
    """The derivatives of :func:`double_sigmoid` in its parameters, one column each.

    Given to ``curve_fit``, they spare it a finite-difference Jacobian (seven more evaluations per
    step), which halves a fit's time and stays exact where a rate is at its bound.
    """
    first, second = expit(rate * (x - mid)), expit(later_rate * (x - later_mid))
    first_slope, second_slope = first * (1 - first), second * (1 - second)
    columns = [
        np.ones_like(x),
        -first,
        fall * rate * first_slope,
        -fall * (x - mid) * first_slope,
        -second,
        change * later_rate * second_slope,
        -change * (x - later_mid) * second_slope,
    ]
    return np.stack(columns, axis=-1)


@dataclass(frozen=True, eq=False)
class FitResult:
    """A fitted surprisal curve: the points it was fitted to and the double sigmoid's parameters."""

    x: np.ndarray
    """The log steps with a finite value, in increasing order."""
    y: np.ndarray
    """The values at them."""
    params: tuple[float, ...] | None
    """:func:`double_sigmoid`'s parameters (those after ``x``), or None when it was not fitted."""

    @property
    def ok(self) -> bool:
        """Whether the double sigmoid was fitted (else :meth:`predict` is the running minimum)."""
        return self.params is not None

    def predict(self, x) -> np.ndarray:
        """The fitted curve at ``x`` (the running minimum of the points, interpolated, when not ``ok``)."""
        x = np.asarray(x, dtype=float)
        if self.params is not None:
            return double_sigmoid(x, *self.params)
        return np.interp(x, self.x, np.minimum.accumulate(self.y))


def fit_curve(log_steps: Sequence[float], values: Sequence[float]) -> FitResult:
    """The double sigmoid through the points whose step and value are finite; never raises.

    With fewer points than the double sigmoid has parameters, points at one step only, points
    within ``FLAT_BITS`` of each other (a flat curve: nothing to fit) or when ``curve_fit`` fails
    from every start, the result is the running-minimum stand-in (``ok`` False).
    """
    x, y = np.asarray(log_steps, dtype=float), np.asarray(values, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    order = np.argsort(x[keep], kind="stable")
    x, y = x[keep][order], y[keep][order]
    if len(x) < PARAMETERS or x[-1] == x[0] or np.ptp(y) < FLAT_BITS:
        return FitResult(x, y, None)
    return FitResult(x, y, _fit_double_sigmoid(x, y))


def _fit_double_sigmoid(x: np.ndarray, y: np.ndarray) -> tuple[float, ...] | None:
    """The best of a few ``curve_fit`` starts, fitted on steps and values scaled to [0, 1].

    Scaling makes one set of bounds and starts serve every curve (steps from 0 to 3 or 6, values
    of 2 or 15 bits) and keeps the parameters of similar size, which the optimiser converges on;
    the parameters are mapped back to the curve's own units.
    """
    from scipy.optimize import OptimizeWarning, curve_fit

    x0, x_span = x[0], x[-1] - x[0]
    y0, y_span = y.min(), np.ptp(y)
    u, v = (x - x0) / x_span, (y - y0) / y_span
    # top, fall, mid, rate, change, later_mid, later_rate: midpoints within the steps measured,
    # rates from nearly linear over them (0.5) to a change over a tenth of them (50); steeper
    # changes let the fit chase noise and wander.
    bounds = ([-1, 0, 0, 0.5, -2, 0, 0.5], [3, 3, 1, 50, 2, 1, 50])
    options = dict(bounds=bounds, jac=double_sigmoid_jacobian, maxfev=2000, ftol=TOLERANCE, xtol=TOLERANCE)
    peak = int(np.argmax(v))
    halfway = peak + int(np.argmax(v[peak:] <= (v[peak] + v[peak:].min()) / 2))
    fall = v[peak] - v[peak:].min()
    # The second change starts small but not zero (at zero its midpoint and rate have no
    # gradient and would never move): a late rise, or a rise before the fall.
    starts = [(v[0], fall, u[halfway], 10, -0.05, later_mid, 10) for later_mid in (0.9, 0.1)]
    best, best_error = None, math.inf
    for start in starts:
        try:
            with warnings.catch_warnings():
                # Raised when the covariance cannot be estimated (a second change of ~0 leaves its
                # midpoint free); the parameters are still the fit's and the covariance is unused.
                warnings.simplefilter("ignore", OptimizeWarning)
                params, _ = curve_fit(double_sigmoid, u, v, p0=start, **options)
        except (RuntimeError, ValueError):  # no convergence within maxfev; non-finite residuals
            continue
        error = float(np.sum((double_sigmoid(u, *params) - v) ** 2))
        if error < best_error:
            best, best_error = params, error
    if best is None:
        return None
    top, fall, mid, rate, change, later_mid, later_rate = best
    return (
        float(y0 + y_span * top),
        float(y_span * fall),
        float(x0 + x_span * mid),
        float(rate / x_span),
        float(y_span * change),
        float(x0 + x_span * later_mid),
        float(later_rate / x_span),
    )


def crossings(
    log_steps: Sequence[float], values: Sequence[float], thresholds: Sequence[float]
) -> list[float]:
    """nAoA@t for each t of ``thresholds`` (in [0, 1]), from one fit of the curve.

    The fitted curve is read on a grid over the log steps measured. Its top is its maximum and
    its bottom the minimum after that maximum; nAoA@t is the first grid step after the maximum
    where the curve is at or below ``top - t (top - bottom)``. Measuring from the maximum keeps
    an early rise (surprisal climbing before it falls) from counting as learning, and taking the
    bottom after it means every threshold is crossed. All NaN when the curve falls less than
    ``FLAT_BITS`` (a word never learnt) or fewer than 2 points are finite.
    """
    fit = fit_curve(log_steps, values)
    if len(fit.x) < 2:
        return [math.nan] * len(thresholds)
    grid = np.linspace(fit.x[0], fit.x[-1], GRID_POINTS)
    curve = fit.predict(grid)
    peak = int(np.argmax(curve))
    grid, curve = grid[peak:], curve[peak:]
    top, bottom = curve[0], curve.min()
    if top - bottom < FLAT_BITS:
        return [math.nan] * len(thresholds)
    return [float(grid[np.argmax(curve <= top - t * (top - bottom))]) for t in thresholds]


def naoa(log_steps: Sequence[float], values: Sequence[float], threshold: float = 0.5) -> float:
    """nAoA@``threshold`` in log10 steps (NaN if the curve does not fall; see :func:`crossings`)."""
    return crossings(log_steps, values, [threshold])[0]


def naoa_range(
    log_steps: Sequence[float], values: Sequence[float], thresholds: Sequence[float] = THRESHOLDS
) -> float:
    """The mean of nAoA@t over ``thresholds``, nAoA@[.5:.95] by default.

    A curve crosses either all thresholds or none (:func:`crossings`), so the mean is NaN exactly
    when nAoA@.5 is.
    """
    return float(np.mean(crossings(log_steps, values, thresholds)))


def effective_vocabulary(naoas: dict[str, float], log_steps: Sequence[float]) -> list[int]:
    """At each log step, how many words have an nAoA@.5 at or before it (a NaN never counts)."""
    ages = np.array([a for a in naoas.values() if math.isfinite(a)])
    return [int((ages <= x).sum()) for x in log_steps]


def summarize_aoa(curves: dict[str, Sequence[float]], log_steps: Sequence[float]) -> dict:
    """Each word's nAoA@.5 and nAoA@[.5:.95], their means over the words that have one, and how
    many words have none (their curve never falls).

    Args:
        curves: each word's surprisal at ``log_steps``.
        log_steps: the log10 steps of the checkpoints.

    Returns:
        ``{"words": {word: {"naoa": ..., "naoa_range": ...}}, "naoa": mean, "naoa_range": mean,
        "not_acquired": count}`` (the means NaN when no word has an nAoA).
    """
    words = {}
    for word, values in curves.items():
        ages = crossings(log_steps, values, THRESHOLDS)  # THRESHOLDS[0] is .5
        words[word] = {"naoa": ages[0], "naoa_range": float(np.mean(ages))}
    acquired = [age for age in words.values() if math.isfinite(age["naoa"])]
    return {
        "words": words,
        "naoa": float(np.mean([a["naoa"] for a in acquired])) if acquired else math.nan,
        "naoa_range": float(np.mean([a["naoa_range"] for a in acquired])) if acquired else math.nan,
        "not_acquired": len(words) - len(acquired),
    }
