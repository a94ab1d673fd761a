"""ToolRAG: which of the 16 tools a request needs, so the planner prompt describes only those.

TinyAgent fine-tunes DeBERTa-v3-small as a 16-label classifier (sigmoid, threshold 0.5). Here the
request is embedded with the packaged all-MiniLM-L6-v2 (:mod:`envs.embeddings`, frozen) and one
logistic regression per tool is fitted on top (scipy's L-BFGS; 385 weights each, seconds on a
CPU). It keeps TinyAgent's shape: a multi-label classifier, a threshold, the selected tools'
descriptions in the prompt; its tool recall and the prompt-size reduction are what the study reports.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from envs.checks import check_number
from envs.embeddings import embed


def _fit_one(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """Weights (bias last) of an L2-regularised logistic regression of ``y`` on ``x``."""
    from scipy.optimize import minimize
    from scipy.special import expit, log_expit

    def loss(w):
        z = x @ w
        value = -(y * log_expit(z) + (1 - y) * log_expit(-z)).mean() + l2 * (w[:-1] @ w[:-1])
        grad = x.T @ (expit(z) - y) / len(y)
        grad[:-1] += 2 * l2 * w[:-1]
        return value, grad

    return minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x


class ToolRAG:
    """A multi-label tool classifier over sentence embeddings.

    Args:
        names: the tools, in the order the prompt lists them.
        weights: ``(embedding size + 1, len(names))``, the bias in the last row.
        threshold: a tool is selected when its probability is at least this.
    """

    def __init__(self, names: Sequence[str], weights: np.ndarray, threshold: float = 0.5):
        check_number("threshold", threshold, minimum=0, maximum=1)
        if weights.ndim != 2 or weights.shape[1] != len(names):
            raise ValueError(f"weights of shape {weights.shape} do not match {len(names)} tools")
        self.names, self.weights, self.threshold = list(names), weights, threshold

    @classmethod
    def fit(
        cls,
        queries: Sequence[str],
        labels: Sequence[Sequence[str]],
        names: Sequence[str],
        target_recall: float | None = None,
        l2: float = 1e-4,
    ) -> ToolRAG:
        """Fit on requests and the tools each needs (every name in ``labels`` must be in ``names``).

        With ``target_recall``, the threshold is the highest of :data:`THRESHOLDS` whose selections
        recall that share of the gold tools on every 5th request, held out from a first fit
        (a missed tool costs a plan more than an extra description); else TinyAgent's 0.5.
        """
        unknown = {tool for tools in labels for tool in tools} - set(names)
        if unknown:
            raise ValueError(f"labels name unknown tools {sorted(unknown)}")
        if len(queries) != len(labels) or not queries:
            raise ValueError(f"need as many label sets as queries ({len(labels)} for {len(queries)})")
        x = _with_bias(embed(queries))
        y = np.array([[name in tools for name in names] for tools in labels], dtype=float)
        threshold = 0.5
        if target_recall is not None:
            check_number("target_recall", target_recall, minimum=0, maximum=1)
            held_out = np.arange(len(queries)) % 5 == 4
            if held_out.any() and (~held_out).any():
                weights = _fit_all(x[~held_out], y[~held_out], l2)
                threshold = _calibrate(1 / (1 + np.exp(-x[held_out] @ weights)), y[held_out], target_recall)
        return cls(names, _fit_all(x, y, l2), threshold)

    def probabilities(self, queries: Sequence[str]) -> np.ndarray:
        """``(len(queries), len(names))`` probabilities."""
        from scipy.special import expit

        return expit(_with_bias(embed(queries)) @ self.weights)

    def select(self, query: str) -> list[str]:
        """The tools at or over the threshold, in :attr:`names` order; the likeliest one at least."""
        p = self.probabilities([query])[0]
        chosen = set(np.flatnonzero(p >= self.threshold)) or {int(p.argmax())}
        return [name for i, name in enumerate(self.names) if i in chosen]

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"names": self.names, "threshold": self.threshold, "weights": self.weights.tolist()}
        path.write_text(json.dumps(payload))
        return path

    @classmethod
    def load(cls, path: str | Path) -> ToolRAG:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no ToolRAG classifier at {path} (write one with ToolRAG.save)")
        payload = json.loads(path.read_text())
        return cls(payload["names"], np.array(payload["weights"]), payload["threshold"])


THRESHOLDS = (0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05, 0.02, 0.01)


def _fit_all(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    return np.stack([_fit_one(x, y[:, j], l2) for j in range(y.shape[1])], axis=1)


def _calibrate(p: np.ndarray, y: np.ndarray, target: float) -> float:
    """The highest threshold whose selections (the likeliest tool at least) recall ``target``."""
    for threshold in THRESHOLDS:
        chosen = (p >= threshold) | (p == p.max(axis=1, keepdims=True))
        recall = ((chosen & (y > 0)).sum(axis=1) / np.maximum(y.sum(axis=1), 1)).mean()
        if recall >= target:
            return threshold
    return THRESHOLDS[-1]


def _with_bias(x: np.ndarray) -> np.ndarray:
    return np.hstack([x, np.ones((len(x), 1))])
