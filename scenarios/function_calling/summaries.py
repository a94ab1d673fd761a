"""The function-calling study's results: forgetting, the headline, a table and a figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scenarios.figures import new_figure, print_table, save

METRICS = ("tool_f1", "arg_f1", "exact_match", "strict_match", "parse_errors")


def _round_eval(method: dict[str, Any], after: int, tested: int) -> dict[str, Any] | None:
    rounds = method["rounds"]
    if after > len(rounds):
        return None
    return rounds[after - 1]["eval"].get(f"round{tested}")


def forgetting(methods: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """What each method lost on round 1's compositions from right after round 1 to after the last
    round (positive = forgotten), in tool F1 and argument F1."""
    lost = {}
    for name, method in methods.items():
        first, last = _round_eval(method, 1, 1), _round_eval(method, len(method["rounds"]), 1)
        if first and last and len(method["rounds"]) > 1:
            lost[name] = {key: first[key] - last[key] for key in ("tool_f1", "arg_f1")}
    return lost


def headline(methods: dict[str, dict[str, Any]], rounds: int) -> dict[str, Any]:
    """Tool F1 on the last round's compositions after the last round, per method (TokMem's round-2 figure)."""
    values = {}
    for name, method in methods.items():
        summary = _round_eval(method, rounds, rounds)
        values[name] = summary["tool_f1"] if summary else None
    return {"metric": "tool_f1", "values": values}


def rows(methods: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (method, round trained, round tested), with the metrics at 2 and 3+ calls."""
    table = []
    for name, method in methods.items():
        for record in method["rounds"]:
            for key, summary in record["eval"].items():
                if not key.startswith("round"):
                    continue
                row = {
                    "method": name,
                    "after": record["round"],
                    "tested": int(key.removeprefix("round")),
                    "trainable": record["trainable_parameters"],
                    **{metric: summary.get(metric) for metric in METRICS},
                    "retrieval_recall": summary.get("retrieval_recall"),
                }
                for calls, by_calls in summary.get("by_calls", {}).items():
                    row[f"tool_f1@{calls}"] = by_calls.get("tool_f1")
                    row[f"arg_f1@{calls}"] = by_calls.get("arg_f1")
                table.append(row)
    return table


def draw(methods: dict[str, dict[str, Any]], rounds: int, path: Path) -> Path:
    """Tool F1 and argument F1 of each method on each round's compositions after the last round,
    with round 1 right after round 1 beside them (forgetting)."""
    import numpy as np

    figure, axes = new_figure((9, 4))
    names = list(methods)
    bars = [("round 1 after round 1", 1, 1)] + [
        (f"round {t} after round {rounds}", rounds, t) for t in range(1, rounds + 1)
    ]
    width = 0.8 / len(bars)
    for k, (label, after, tested) in enumerate(bars):
        values = [(_round_eval(methods[n], after, tested) or {}).get("tool_f1") or 0.0 for n in names]
        axes.bar(np.arange(len(names)) + k * width, values, width, label=label)
    axes.set_xticks(np.arange(len(names)) + width * (len(bars) - 1) / 2, names)
    axes.set_ylabel("tool F1 on 2-3 tool compositions")
    axes.set_ylim(0, 1.05)
    axes.set_title("FunctionCalling-v0: tools learned in rounds")
    axes.legend(loc="lower right", fontsize=8)
    return save(figure, path)


def print_summary(results: dict[str, Any], out: Path, figure: Path) -> None:
    table = rows(results["methods"])
    calls = sorted({k.split("@")[1] for row in table for k in row if k.startswith("tool_f1@")}, key=int)
    columns = [
        ("method", "method"), ("after", "after round"), ("tested", "test round"), ("trainable", "trainable"),
        ("tool_f1", "tool F1"), ("arg_f1", "arg F1"), ("exact_match", "EM"), ("strict_match", "strict"),
        *[(f"tool_f1@{c}", f"tool F1@{c}") for c in calls], *[(f"arg_f1@{c}", f"arg F1@{c}") for c in calls],
        ("parse_errors", "parse err"), ("retrieval_recall", "retr. recall"),
    ]  # fmt: skip
    print()
    print_table(table, columns)
    for name, lost in results["forgetting"].items():
        print(f"{name}: round 1 tool F1 lost {lost['tool_f1']:+.3f}, arg F1 {lost['arg_f1']:+.3f}")
    print(f"wall time {results['wall_seconds'] / 60:.1f} min; results: {out / 'results.json'}")
    print(f"figure: {figure}\ntensorboard --logdir {out}")
