"""The ``tnd`` study's results: nAoA per word, run, variant; the table, figures and TensorBoard points."""

from __future__ import annotations

import math
from pathlib import Path
from statistics import fmean, stdev
from typing import Any

import numpy as np

from scenarios.figures import new_figure, print_table, save

PAPER_NAOA = {"tnd": 2.10, "clm": 2.94, "trial": 2.90, "demo": 2.60}
"""The paper's nAoA@.5 on BabyLM's common words (Table 1), for the table beside ours."""
CURVE_WORDS = 4  # words drawn per variant in the curves figure


def word_curves(curves: dict[int, dict[str, float]], words) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """log10 steps and each word's surprisal at them, from a run's ``{step: {word: bits}}``."""
    steps = sorted(curves)
    return np.log10(steps), {w: np.array([curves[s].get(w, math.nan) for s in steps]) for w in words}


def run_aoa(curves: dict[int, dict[str, float]], words) -> dict[str, dict[str, float]]:
    """Per word: nAoA@.5 and nAoA@[.5:.95] of one run."""
    from agents.aoa import THRESHOLDS, crossings

    x, values = word_curves(curves, words)
    result = {}
    for word, y in values.items():
        ages = crossings(x, y, THRESHOLDS)  # THRESHOLDS[0] is .5
        result[word] = {"naoa": ages[0], "naoa_range": float(np.mean(ages))}
    return result


def _mean(values) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return fmean(finite) if finite else math.nan


def _spread(values) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return stdev(finite) if len(finite) > 1 else 0.0


def summarize(config, corpus, runs) -> dict[str, Any]:
    """Per word set and variant: nAoA@.5 and @[.5:.95] means over words, then mean and std over
    seeds; TnD's lead over CLM; the masked words' nAoA when the teacher had some."""
    from agents.aoa import effective_vocabulary
    from scenarios.tnd.stages import masked_words

    masked = masked_words(config, corpus)
    table: dict[str, Any] = {}
    vocabulary: dict[str, Any] = {}
    for name, word_set in corpus.word_sets.items():
        words = [w for w in word_set.words if w not in masked]
        table[name] = {}
        for variant, seeds in runs.items():
            per_seed = [run_aoa(curves, words) for curves in seeds.values()]
            at_half = [_mean(v["naoa"] for v in aoa.values()) for aoa in per_seed]
            ranged = [_mean(v["naoa_range"] for v in aoa.values()) for aoa in per_seed]
            unfit = [sum(not math.isfinite(v["naoa"]) for v in aoa.values()) for aoa in per_seed]
            table[name][variant] = {
                "naoa": _mean(at_half), "naoa_std": _spread(at_half), "naoa_seeds": at_half,
                "naoa_range": _mean(ranged), "naoa_range_std": _spread(ranged),
                "words": len(words), "words_not_acquired": fmean(unfit),
            }  # fmt: skip
            if name == "cdi":
                continue
            steps = sorted(next(iter(seeds.values())))
            x = np.log10(steps)
            sizes = [effective_vocabulary({w: v["naoa"] for w, v in aoa.items()}, x) for aoa in per_seed]
            vocabulary[variant] = {"steps": steps, "size": np.mean(sizes, axis=0).tolist()}
    results: dict[str, Any] = {"naoa": table, "effective_vocabulary": vocabulary}
    if masked:
        results["masked_words"] = {
            "words": masked,
            "naoa": {v: _mean(_mean(a["naoa"] for a in run_aoa(c, masked).values()) for c in s.values())
                     for v, s in runs.items()},
        }  # fmt: skip
    if "tnd" in runs and "clm" in runs:
        lead = table["cmn"]["clm"]["naoa"] - table["cmn"]["tnd"]["naoa"]
        results["headline"] = {"metric": "tnd_lead_log10_steps", "value": lead, "paper": [0.5, 0.84]}
    return results


def print_summary(results: dict[str, Any], out: Path, figures: list[Path]) -> None:
    for name, variants in results["naoa"].items():
        print(f"\nnAoA ({name} words, log10 steps; lower = earlier), mean ± std over seeds")
        rows = [
            {"variant": v, "naoa": f"{r['naoa']:.2f} ± {r['naoa_std']:.2f}",
             "range": f"{r['naoa_range']:.2f} ± {r['naoa_range_std']:.2f}",
             "unfit": r["words_not_acquired"], "paper": PAPER_NAOA.get(v)}
            for v, r in variants.items()
        ]  # fmt: skip
        print_table(rows, [("variant", "variant"), ("naoa", "nAoA@.5"), ("range", "nAoA@[.5:.95]"),
                           ("unfit", "words not acquired"), ("paper", "paper @.5 (BabyLM CMN)")])  # fmt: skip
    fit = results["reward_model"]
    print(f"\nreward model: Pearson r {fit['pearson_r']:.3f} with the true log step on held-out prompts")
    if "headline" in results:
        print(f"TnD's lead over CLM: {results['headline']['value']:.2f} log10 steps (paper: 0.5-0.84)")
    print(f"wall time {results['wall_seconds'] / 60:.1f} min; results in {out / 'results.json'}")
    for path in figures:
        print(f"figure: {path}")


def draw(config, corpus, runs, results, folder: Path) -> list[Path]:
    """Curves of a few common words per variant (mean over seeds), nAoA per seed, vocabulary size."""
    common = corpus.word_sets["cmn"].words
    words = list(common)[:: max(1, len(common) // CURVE_WORDS)][:CURVE_WORDS]  # frequent to rare
    figure, _axes = new_figure((9, 4))
    figure.clf()
    grid = figure.subplots(1, len(words), sharey=True, squeeze=False)[0]
    for axis, word in zip(grid, words, strict=True):
        for variant, seeds in runs.items():
            curves = [word_curves(c, [word]) for c in seeds.values()]
            x = curves[0][0]
            axis.plot(x, np.nanmean([c[1][word] for c in curves], axis=0), label=variant)
        axis.set_title(repr(word))
        axis.set_xlabel("log10 step")
    grid[0].set_ylabel("surprisal (bits)")
    grid[-1].legend(fontsize=7)
    paths = [save(figure, folder / "curves.png")]
    figure, axis = new_figure()
    for k, row in enumerate(results["naoa"]["cmn"].values()):
        seeds = row["naoa_seeds"]
        axis.scatter([k] * len(seeds), seeds, alpha=0.6)
        axis.errorbar([k], [row["naoa"]], yerr=[row["naoa_std"]], fmt="_k", capsize=6)
    axis.set_xticks(range(len(results["naoa"]["cmn"])), list(results["naoa"]["cmn"]))
    axis.set_ylabel("mean nAoA@.5 of common words (log10 steps)")
    paths.append(save(figure, folder / "naoa.png"))
    figure, axis = new_figure()
    for variant, series in results["effective_vocabulary"].items():
        axis.plot(np.log10(series["steps"]), series["size"], label=variant)
    axis.set_xlabel("log10 step")
    axis.set_ylabel("effective vocabulary (common words with nAoA@.5 <= step)")
    axis.legend()
    paths.append(save(figure, folder / "vocabulary.png"))
    return paths


def log_scalars(tb: Path, results: dict[str, Any]) -> None:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tb / "summary"))
    for name, variants in results["naoa"].items():
        for variant, row in variants.items():
            if math.isfinite(row["naoa"]):
                writer.add_scalar(f"naoa/{name}/{variant}", row["naoa"], 0)
    writer.close()
