"""The memory grids' summaries: parameters needed for 95% recall (capacity, compressibility) and
accuracy on unseen people (OOD), each with the paper's figure on its axes and the paper's own points
(:mod:`scenarios.memory.paper_points`) beside ours, in ``summary.json`` as in the figure."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import scenarios.memory.paper_points as paper_points
from envs.memory.env import MODES
from scenarios.figures import new_figure, save
from scenarios.memory.grids import MemoryGridConfig
from scenarios.memory.study import MemoryConfig, make_env, ood_tasks


def smallest_reaching(rows: list[dict[str, Any]], threshold: float, by: tuple[str, ...]) -> list[dict]:
    """Per group of ``by`` (data seed excluded), the smallest parameter count with recall >= threshold.

    The paper's rule: the smallest count is found per data seed, then averaged over the seeds. A
    group where some seed never reaches the threshold gets ``params_needed=None`` and says how
    many seeds reached it. ``params_needed_itl`` is itl's code's rule beside it (``plot_params_bound``:
    ``nanmean`` over the seeds that reach the threshold, the others ignored; None when none does).
    """
    groups: dict[tuple, dict[int, list[dict]]] = {}
    for row in rows:
        if row.get("status") != "ok":
            continue
        key = tuple(row[k] for k in by)
        groups.setdefault(key, {}).setdefault(row["data_seed"], []).append(row)
    summary = []
    for key, seeds in sorted(groups.items()):
        needed = [
            min((r["params"] for r in seed_rows if r["recall"] >= threshold), default=None)
            for seed_rows in seeds.values()
        ]
        reached = [n for n in needed if n is not None]
        summary.append(
            {
                **dict(zip(by, key, strict=True)),
                "params_needed": sum(reached) / len(reached) if len(reached) == len(needed) else None,
                "params_needed_itl": sum(reached) / len(reached) if reached else None,
                "seeds_reached": len(reached),
                "seeds": len(needed),
                "largest_tried": max(r["params"] for seed_rows in seeds.values() for r in seed_rows),
            }
        )
    return summary


def bits_per_fact(alpha: float = 1.0) -> float:
    """Information in one fact with independent attributes: the mean of log2(pool size) over the
    four attributes (a birth date is one of 28 x 12 x 51 days). Dependent data (ALPHA < 1) carry
    less; this is the independent case's upper bound."""
    from envs.memory.people import POOL_FILES, load_pool

    sizes = [28 * 12 * 51] + [len(load_pool(file)) for file in POOL_FILES.values()]
    return sum(math.log2(size) for size in sizes) / len(sizes)


def summarize_capacity(grid: MemoryGridConfig, rows: list[dict[str, Any]], out: Path) -> dict[str, Any]:
    """Parameters needed vs facts per mode, the in-weight linear fit and bits per parameter."""
    import numpy as np

    needed = smallest_reaching(rows, grid.threshold, ("mode", "facts"))
    summary: dict[str, Any] = {"threshold": grid.threshold, "params_needed": needed}
    fit_points = [(n["facts"], n["params_needed"]) for n in needed if n["mode"] == "in_weight"]
    fit_points = [(f, p) for f, p in fit_points if p is not None]
    if len(fit_points) >= 2:
        facts, params = np.array(fit_points, dtype=float).T
        slope, intercept = np.polyfit(facts, params, 1)
        summary["in_weight_fit"] = {"params_per_fact": float(slope), "intercept": float(intercept)}
    # itl's fit beside ours: its 95% rule's means, with the point (0, 0) appended before polyfit.
    itl_points = [(n["facts"], n["params_needed_itl"]) for n in needed if n["mode"] == "in_weight"]
    itl_points = [(0, 0)] + [(f, p) for f, p in itl_points if p is not None]
    if len(itl_points) >= 3:
        facts, params = np.array(itl_points, dtype=float).T
        slope, intercept = np.polyfit(facts, params, 1)
        summary["in_weight_fit_itl"] = {"params_per_fact": float(slope), "intercept": float(intercept)}
    bits = bits_per_fact()
    summary["bits_per_fact"] = bits
    summary["bits_per_param"] = [
        {"mode": n["mode"], "facts": n["facts"], "bits_per_param": n["facts"] * bits / n["params_needed"]}
        for n in needed
        if n["params_needed"]
    ]
    summary["paper"] = {
        "source": paper_points.SOURCE + "grid4.csv",
        "params_needed": paper_points.CAPACITY,
        "in_weight_fit": paper_points.CAPACITY_FIT,
    }
    _plot_needed(
        needed,
        "facts",
        "facts (4 per person)",
        f"Parameters needed for {grid.threshold:.0%} recall",
        out,
        fit=summary.get("in_weight_fit"),
        paper=paper_points.CAPACITY,
        log=True,
    )
    return summary


def summarize_compressibility(
    grid: MemoryGridConfig, rows: list[dict[str, Any]], out: Path
) -> dict[str, Any]:
    """Smallest model reaching the threshold vs the attributes' correlation (1 - ALPHA), and the
    recall of each model size vs correlation (``<figure>_recall.png``).

    The second view shows the effect below the threshold too: on a short training budget the
    threshold can be crossed at the same coarse width for every ALPHA while recall at a fixed
    size still climbs with correlation.
    """
    needed = smallest_reaching(rows, grid.threshold, ("mode", "n_people", "alpha"))
    for n in needed:
        n["correlation"] = round(1 - n["alpha"], 6)
    _plot_needed(
        needed,
        "correlation",
        "correlation of attributes (1 - ALPHA)",
        "Compressibility",
        out,
        paper=paper_points.COMPRESSIBILITY,
    )
    by_size: dict[int, dict[float, list[float]]] = {}
    for r in rows:
        if r.get("status") == "ok":
            by_size.setdefault(r["params"], {}).setdefault(round(1 - r["alpha"], 6), []).append(r["recall"])
    recall = [
        {"params": params, "correlation": correlation, "recall": sum(v) / len(v)}
        for params, points in sorted(by_size.items())
        for correlation, v in sorted(points.items())
    ]
    figure, axis = new_figure()
    for params in sorted(by_size):
        points = [(r["correlation"], r["recall"]) for r in recall if r["params"] == params]
        axis.plot(*zip(*points, strict=True), marker="o", label=f"{params / 1000:.1f}K params")
    axis.axhline(grid.threshold, color="gray", linestyle=":", label=f"{grid.threshold:.0%} recall")
    axis.set_xlabel("correlation of attributes (1 - ALPHA)")
    axis.set_ylabel("recall")
    axis.set_ylim(0, 1.05)
    axis.set_title("Recall vs correlation, per model size")
    if recall:
        axis.legend(fontsize=7)
    save(figure, out.with_name(f"{out.stem}_recall.png"))
    paper = {
        "source": paper_points.SOURCE + "grid_dependent_1000.csv",
        "params_needed": paper_points.COMPRESSIBILITY,
    }
    return {"threshold": grid.threshold, "params_needed": needed, "recall": recall, "paper": paper}


def summarize_ood(grid: MemoryGridConfig, rows: list[dict[str, Any]], out: Path) -> dict[str, Any]:
    """OOD accuracy vs people trained on, per mode and width, above the random agent's floor."""
    ok = [r for r in rows if r.get("status") == "ok" and r.get("ood_accuracy") is not None]
    curves: dict[tuple[str, int], dict[int, list[float]]] = {}
    for r in ok:
        curves.setdefault((r["mode"], r["params"]), {}).setdefault(r["n_people"], []).append(
            r["ood_accuracy"]
        )
    table = [
        {"mode": mode, "params": params, "n_people": n, "ood_accuracy": sum(v) / len(v)}
        for (mode, params), points in sorted(curves.items())
        for n, v in sorted(points.items())
    ]
    itl = {}  # itl's protocol, where the cells measured it: (mode, params, people) -> accuracies
    for r in ok:
        if r.get("ood_accuracy_itl") is not None:
            itl.setdefault((r["mode"], r["params"], r["n_people"]), []).append(r["ood_accuracy_itl"])
    for row in table:
        if v := itl.get((row["mode"], row["params"], row["n_people"])):
            row["ood_accuracy_itl"] = sum(v) / len(v)
    floor = chance_floor(grid)
    figure, axis = new_figure()
    for (mode, params), points in sorted(curves.items()):
        xs = sorted(points)
        ys = [sum(points[x]) / len(points[x]) for x in xs]
        axis.plot(
            xs,
            ys,
            marker="o",
            linestyle="-" if mode == "in_tool" else "--",
            label=f"{mode} {params / 1000:.0f}K",
        )
    for params, marker in zip(sorted({p["params"] for p in paper_points.OOD}), "Dv", strict=True):
        points = [(p["n_people"], p["ood_accuracy"]) for p in paper_points.OOD if p["params"] == params]
        style = {**_PAPER_STYLE, "marker": marker}
        axis.plot(*zip(*points, strict=True), **style, label=f"paper in_tool {params / 1000:.0f}K")
    axis.axhline(floor, color="gray", linestyle=":", label="chance (random agent)")
    axis.set_xscale("log", base=2)
    axis.set_xlabel("people trained on")
    axis.set_ylabel("accuracy on unseen people")
    axis.set_ylim(0, 1.05)
    axis.legend(fontsize=7, ncol=2)
    save(figure, out)
    paper = {"source": paper_points.SOURCE + "grid_ood.csv", "ood_accuracy": paper_points.OOD}
    return {"ood_accuracy": table, "chance": floor, "paper": paper}


def chance_floor(grid: MemoryGridConfig, episodes: int = 1000) -> float:
    """The random agent's accuracy on unseen people (the paper's chance level)."""
    from agents.evaluate import summarize
    from agents.random_agent import RandomAgent
    from agents.rollout import rollout

    config = MemoryConfig(n_people=max(grid.people), ood_questions=episodes)
    played = rollout(
        make_env(config, "in_weight", "ood"), RandomAgent(), tasks=ood_tasks(config), num_envs=64
    )
    return summarize(played)["reward"]


# The paper's points: hollow grey markers, thin lines, so that ours stand out beside them.
_PAPER_STYLE = {"color": "gray", "marker": "D", "markerfacecolor": "none", "linewidth": 0.8, "alpha": 0.8}


def _plot_needed(needed, x_key, x_label, title, out: Path, fit=None, paper=(), log=False) -> None:
    figure, axis = new_figure()
    for mode in MODES:
        own = [(p[x_key], p["params_needed"]) for p in paper if p["mode"] == mode]
        if own:
            linestyle = "--" if mode == "in_tool" else "-"
            axis.plot(*zip(*own, strict=True), **_PAPER_STYLE, linestyle=linestyle, label=f"paper {mode}")
    for mode in MODES:
        points = [(n[x_key], n["params_needed"]) for n in needed if n["mode"] == mode and n["params_needed"]]
        missed = [
            (n[x_key], n["largest_tried"]) for n in needed if n["mode"] == mode and not n["params_needed"]
        ]
        if points:  # distinct markers and lines: the two modes can need the same parameters
            style = {"marker": "s", "linestyle": "--"} if mode == "in_tool" else {"marker": "o"}
            axis.plot(
                *zip(*points, strict=True), label=f"{mode}", markersize=7 if mode == "in_tool" else 5, **style
            )
        if missed:
            axis.scatter(*zip(*missed, strict=True), marker="^", label=f"{mode}: not reached (largest tried)")
    if fit:
        xs = sorted({n[x_key] for n in needed})
        axis.plot(
            xs,
            [fit["params_per_fact"] * x + fit["intercept"] for x in xs],
            color="gray",
            linestyle=":",
            label=f"in-weight fit: {fit['params_per_fact']:.1f} params/fact",
        )
    if log:  # the paper's capacity figure: facts and parameters on log axes
        axis.set_xscale("log")
        axis.set_yscale("log")
    axis.set_xlabel(x_label)
    axis.set_ylabel("parameters")
    axis.set_title(title)
    if axis.get_legend_handles_labels()[0]:  # nothing to label when no cell has finished
        axis.legend(fontsize=7)
    save(figure, out)
