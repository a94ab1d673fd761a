"""Scores of predicted function calls against the gold ones: TokMem's metrics, BFCL's categories.

TokMem (``compositional/eval.py``) reports, per test item: exact match of the *arguments* only
(tool names are ignored: a multiset of normalised argument dicts), tool accuracy (a multiset of
names), and set-based precision/recall/F1 over names and over normalised argument strings
("following NESTful": a tool called twice counts once). NeMo Gym's ``xlam_fc`` scores the
stricter multiset of ``(name, arguments)`` pairs, kept here as ``strict_match`` (the reward).
Order never matters: every comparison is a multiset or a set.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

from envs.checks import check_int

SCORE_NAMES = (
    "strict_match",
    "exact_match",
    "tool_accuracy",
    "tool_f1",
    "tool_precision",
    "tool_recall",
    "arg_f1",
    "arg_precision",
    "arg_recall",
    "parse_errors",
)
BFCL_CATEGORIES = ("simple", "multiple", "parallel", "parallel_multiple")


def normalize_arguments(args: dict | str) -> str:
    """Canonical compact JSON of a call's arguments: sorted keys, integral floats written as ints.

    A string is parsed as JSON first; one that does not parse is returned stripped, so it can only
    equal the same raw text (never a gold argument dict, which is always a dict).
    """
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            return args.strip()
    return json.dumps(_canonical(args), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canonical(value: Any) -> Any:
    # ``2.0`` and ``2`` are the same argument: models and JSON writers disagree on the form.
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _prf(pred: set, gold: set) -> tuple[float, float, float]:
    """Set precision, recall, F1; precision is 0 for an empty prediction."""
    hits = len(pred & gold)
    precision = hits / len(pred) if pred else 0.0
    recall = hits / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score_calls(
    pred: list[tuple[str | None, dict | str]], gold: list[tuple[str, dict]], parse_errors: int
) -> dict[str, float]:
    """Every score of :data:`SCORE_NAMES` for one answer.

    Args:
        pred: the predicted calls as ``(name, arguments)``; ``name`` is ``None`` when the call's
            tool could not be read, ``arguments`` the raw text when it was not a JSON object.
        gold: the gold calls.
        parse_errors: how many malformed calls the answer had (reported as is).

    Both lists empty (nothing to call, nothing called) score 1.0 on every match and F1.
    """
    pred_args = [normalize_arguments(args) for _, args in pred]
    gold_args = [normalize_arguments(args) for _, args in gold]
    pred_names = [name for name, _ in pred]
    gold_names = [name for name, _ in gold]
    pred_pairs = zip(pred_names, pred_args, strict=True)
    gold_pairs = zip(gold_names, gold_args, strict=True)
    scores = {
        "strict_match": Counter(pred_pairs) == Counter(gold_pairs),
        "exact_match": Counter(pred_args) == Counter(gold_args),
        "tool_accuracy": Counter(pred_names) == Counter(gold_names),
    }
    if not pred and not gold:
        scores.update(dict.fromkeys(SCORE_NAMES[3:9], 1.0))
    else:
        for key, p, g in (("tool", pred_names, gold_names), ("arg", pred_args, gold_args)):
            precision, recall, f1 = _prf(set(p), set(g))
            scores.update({f"{key}_precision": precision, f"{key}_recall": recall, f"{key}_f1": f1})
    scores["parse_errors"] = parse_errors
    return {name: float(scores[name]) for name in SCORE_NAMES}


def bfcl_category(n_calls: int, n_distinct_tools: int, n_offered: int) -> str:
    """The BFCL AST category of a task.

    One call: ``simple`` with one tool offered, ``multiple`` when it must be chosen among several.
    Several calls: ``parallel`` when they all call one tool, ``parallel_multiple`` otherwise.
    (BFCL's ``parallel`` offers one function doc; here the offered set is the round's tools, so
    the calls' distinct tools decide.)
    """
    check_int("n_calls", n_calls, minimum=1)
    check_int("n_distinct_tools", n_distinct_tools, minimum=1, maximum=n_calls)
    check_int("n_offered", n_offered, minimum=n_distinct_tools)
    if n_calls == 1:
        return "simple" if n_offered == 1 else "multiple"
    return "parallel" if n_distinct_tools == 1 else "parallel_multiple"
