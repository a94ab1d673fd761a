"""The memory study's three grids (the in-tool learning paper): capacity law, OOD, compressibility.

Each grid is the product of its axes (mode x people x width x ALPHA x data seed); a cell trains
one model with :func:`scenarios.memory.study.train_and_evaluate` and reports its recall (and OOD
accuracy). The three grids differ in their axes and in how their table is summarised
(:mod:`scenarios.memory.summaries`):

- ``memory_capacity``: the smallest parameter count reaching 95% recall per number of facts and
  mode (per data seed, then averaged, the paper's rule), the linear fit of in-weight parameters
  against facts, and bits stored per parameter;
- ``memory_ood``: accuracy on unseen people against the people trained on, per width and mode;
- ``memory_compressibility``: the smallest in-weight model reaching 95% recall against the
  correlation of the attributes (1 - ALPHA).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.model import check_width
from envs.checks import check_choice, check_int, check_ints, check_number
from envs.memory.env import MODES
from envs.memory.people import DESIGNS, population_size, resolve_design
from learners.sft_config import SFTConfig
from scenarios.memory.study import (
    INITS,
    ITL_MODEL,
    ITL_TRAINING,
    MemoryConfig,
    ModeConfig,
    train_and_evaluate,
    train_together,
)


@dataclass
class ModeTraining:
    """How the cells of one mode are trained."""

    sft: SFTConfig = field(default_factory=SFTConfig)
    """The SFT learner's options; ``sft.max_steps`` caps the steps."""
    epochs: float = 0.0
    """Passes over the 4N training conversations, which set a cell's steps (0: ``sft.max_steps``)."""
    min_steps: int = 0
    """Fewest steps of a cell, however small its data."""
    widths: list[int] | None = None
    """Widths trained in this mode (None: the grid's ``widths``)."""

    def __post_init__(self) -> None:
        check_number("epochs", self.epochs, minimum=0)
        check_int("min_steps", self.min_steps, minimum=0)
        if self.widths is not None:
            check_ints("widths", self.widths, minimum=2)

    def steps(self, n_people: int) -> int:
        if not self.epochs:
            return self.sft.max_steps
        wanted = math.ceil(self.epochs * 4 * n_people / self.sft.batch_size)
        return min(self.sft.max_steps, max(self.min_steps, wanted))


@dataclass
class MemoryGridConfig:
    """A grid of memory-study runs: every combination of the axes below is one cell."""

    modes: list[str] = field(default_factory=lambda: list(MODES))
    """Modes trained: ``in_tool`` and/or ``in_weight``."""
    people: list[int] = field(default_factory=lambda: [64, 256, 1024])
    """Numbers of people (4 facts each)."""
    widths: list[int] = field(default_factory=lambda: [8, 16, 32, 64])
    """Model widths d (2 layers: 32 d^2 + 525 d parameters)."""
    alphas: list[float] = field(default_factory=lambda: [1.0])
    """Attribute independence ALPHA (1 = independent, 0 = set by the family name)."""
    design: str | None = None
    """How the people are drawn, for every cell (``MemoryConfig.design``); None: ``itl`` for the
    cells with ALPHA < 1, ``wide`` for those with ALPHA = 1."""
    data_seeds: list[int] = field(default_factory=lambda: [0])
    """Seeds of the people's attributes; the paper's rule averages over them."""
    threshold: float = 0.95
    """Recall a model must reach to count as storing the facts."""
    ood_questions: int = 0
    """Questions about unseen people per cell (0 = no OOD evaluation)."""
    itl_ood_every: int = 0
    """Steps between evaluations by itl's OOD protocol (``MemoryConfig.itl_ood_every``: 40 questions,
    best of the evaluations, reported as ``ood_accuracy_itl``); 0: not measured."""
    layers: int = 2
    """Decoder layers."""
    heads: int = 2
    """Attention heads."""
    norm_eps: float = 1e-6
    """RMSNorm's epsilon (itl: 1e-5)."""
    rope_angle_scale: float = 1.0
    """Factor on the rotary angles (itl: 2 pi)."""
    init: str = "transformers"
    """Initial weights: ``transformers`` (normal, std 0.02) or ``itl`` (truncated normal, std
    width ** -0.5, (4 width) ** -0.5 for the MLP's output; ``agents.model.build_model``)."""
    in_tool: ModeTraining = field(default_factory=ModeTraining)
    """Training of the in-tool cells."""
    in_weight: ModeTraining = field(default_factory=ModeTraining)
    """Training of the in-weight cells."""
    batch_cells: int = 1
    """Cells trained together as one stack of models (``learners.batched_sft``), at most this many
    at a time; cells are stacked when they share a mode, a width and a number of steps (their
    data seeds, ALPHAs and data sizes may differ). 1: each cell trains on its own."""

    def __post_init__(self) -> None:
        _check_list("modes", self.modes)
        for mode in self.modes:
            check_choice("modes", mode, MODES)
        check_ints("people", self.people, minimum=1)
        if self.design is not None:
            check_choice("design", self.design, DESIGNS)
        check_int("layers", self.layers, minimum=1)
        check_int("heads", self.heads, minimum=1)
        check_number("norm_eps", self.norm_eps, minimum=0)
        check_number("rope_angle_scale", self.rope_angle_scale, minimum=1e-6)
        check_choice("init", self.init, INITS)
        check_ints("widths", self.widths, minimum=2)
        for mode in MODES:
            key = f"{mode}.widths" if getattr(self, mode).widths else "widths"
            for width in getattr(self, mode).widths or self.widths:
                check_width(key, width, self.heads)
        _check_list("alphas", self.alphas)
        for alpha in self.alphas:
            check_number("alphas", alpha, 0.0, 1.0)
            size = population_size("train", resolve_design(self.design, alpha))
            check_int("people", max(self.people), maximum=size)  # the training pool's size
        check_ints("data_seeds", self.data_seeds, minimum=0)
        check_number("threshold", self.threshold, 0.0, 1.0)
        check_int("ood_questions", self.ood_questions, minimum=0)
        check_int("batch_cells", self.batch_cells, minimum=1)
        check_int("itl_ood_every", self.itl_ood_every, minimum=0)
        if self.itl_ood_every and self.batch_cells > 1:
            raise ValueError(
                f"itl_ood_every={self.itl_ood_every} needs batch_cells=1: models trained as one stack "
                f"are not evaluated during training (batch_cells={self.batch_cells})"
            )


def _check_list(key: str, values: Any) -> None:
    if not isinstance(values, list | tuple) or not values:
        raise ValueError(f"{key}={values!r} is not valid; it must be a non-empty list")


def cells(grid: MemoryGridConfig) -> list[dict[str, Any]]:
    """The grid's cells, each a dict of its coordinates with a readable ``id``."""
    for mode in grid.modes:
        # A mode's widths pick among the grid's: `--set widths=[8,16]` under a profile that sets
        # in_tool.widths must not leave the in-tool cells at the profile's widths unnoticed.
        own = getattr(grid, mode).widths
        if own is not None and not set(own) <= set(grid.widths):
            raise ValueError(
                f"{mode}.widths={own} are not all in widths={grid.widths}; set {mode}.widths too "
                f"(null: every width of widths)"
            )
    product = [
        (mode, n, width, alpha, seed)
        for mode in grid.modes
        for n, width, alpha, seed in itertools.product(
            grid.people, getattr(grid, mode).widths or grid.widths, grid.alphas, grid.data_seeds
        )
    ]
    design = f"-{grid.design}" if grid.design else ""  # ids of grids without a design unchanged
    return [
        {
            "id": f"{mode}-n{n}-w{width}-a{alpha:g}-s{seed}{design}",
            "mode": mode,
            "n_people": n,
            "width": width,
            "alpha": alpha,
            "design": grid.design,
            "data_seed": seed,
        }
        for mode, n, width, alpha, seed in product
    ]


def cell_config(grid: MemoryGridConfig, cell: dict[str, Any]) -> MemoryConfig:
    """The memory-study config one cell trains its mode with."""
    training: ModeTraining = getattr(grid, cell["mode"])
    steps = training.steps(cell["n_people"])
    sft = dataclasses.replace(
        training.sft, max_steps=steps, eval_steps=0, save_steps=max(1, min(training.sft.save_steps, steps))
    )
    # The mode a cell does not train keeps ModeConfig's defaults, so that a cell's settings (what
    # decides whether a finished cell is rerun) do not follow memory_1000's calibrated ones.
    untrained = {mode: ModeConfig() for mode in MODES if mode != cell["mode"]}
    return MemoryConfig(
        n_people=cell["n_people"],
        alpha=cell["alpha"],
        design=cell["design"],
        data_seed=cell["data_seed"],
        layers=grid.layers,
        heads=grid.heads,
        norm_eps=grid.norm_eps,
        rope_angle_scale=grid.rope_angle_scale,
        init=grid.init,
        ood_questions=grid.ood_questions,
        itl_ood_every=grid.itl_ood_every,
        progress=False,
        **untrained,
        **{cell["mode"]: ModeConfig(width=cell["width"], sft=sft)},
    )


def run_cell(grid: MemoryGridConfig, cell: dict[str, Any], out: Path, device: str) -> dict[str, Any]:
    """Train and evaluate one cell into ``out``; return its row of the grid's table."""
    result = train_and_evaluate(cell_config(grid, cell), cell["mode"], out, device, resume=True)
    by_attribute = {f"recall_{k}": v for k, v in result.pop("recall_by_attribute").items()}
    return {**result, **by_attribute, "facts": 4 * cell["n_people"]}


def group_cells(grid: MemoryGridConfig, todo: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """``todo``'s cells in groups that can train as one stack: same mode, width and SFT config
    (hence steps), at most ``grid.batch_cells`` each; with ``batch_cells=1``, no groups."""
    if grid.batch_cells == 1:
        return []
    by_shape: dict[str, list[dict[str, Any]]] = {}
    for cell in todo:
        sft = getattr(cell_config(grid, cell), cell["mode"]).sft
        by_shape.setdefault(f"{cell['mode']}-{cell['width']}-{sft}", []).append(cell)
    return [
        same[start : start + grid.batch_cells]
        for same in by_shape.values()
        for start in range(0, len(same), grid.batch_cells)
        if len(same) > 1
    ]


def train_group(grid: MemoryGridConfig, group: list[dict[str, Any]], out: Path, device: str) -> None:
    """Train ``group``'s cells together into their folders ``out/cells/<id>``; each cell then
    finds its trained model there and only evaluates it."""
    train_together(
        [cell_config(grid, cell) for cell in group],
        group[0]["mode"],
        [out / "cells" / cell["id"] for cell in group],
        device,
    )


# --- profiles -------------------------------------------------------------------------------


def _cpu_training(in_tool_widths: list[int] | None = None) -> dict[str, ModeTraining]:
    """memory_1000's CPU learning rates and batches, with each mode's steps set by the data size.

    In-weight memorisation needs about 80 epochs and, however small the data, about 3,000 steps:
    at 256 people, 80 epochs (1,280 steps) left recall under 0.1 up to width 32. In-tool copying
    is a skill that takes steps to appear: at 1,024 people width 48 reached recall 0.67 when the
    cosine schedule ended at 3,000 steps and 1.00 (0.93 on unseen people) when it ended at 6,000,
    while below 1,024 people 3,000 steps suffice (the model memorises the few names instead).
    """
    return {
        "in_tool": ModeTraining(
            SFTConfig(
                learning_rate=1.5e-3, batch_size=32, max_steps=6000, warmup_steps=300, weight_decay=0.0
            ),
            epochs=48,
            min_steps=3000,
            widths=in_tool_widths,
        ),
        "in_weight": ModeTraining(
            SFTConfig(learning_rate=2e-3, batch_size=64, max_steps=5000, warmup_steps=300, weight_decay=0.0),
            epochs=80,
            min_steps=3000,
        ),
    }


def _paper_training() -> dict[str, Any]:
    """The paper's settings: batch 128, 100k steps for every cell, itl's optimiser, schedule,
    precision and model (``ITL_TRAINING``, ``ITL_MODEL``)."""
    sft = SFTConfig(**ITL_TRAINING, batch_size=128, max_steps=100_000, save_steps=5000)
    return {"in_tool": ModeTraining(sft), "in_weight": ModeTraining(dataclasses.replace(sft)), **ITL_MODEL}


PAPER_PEOPLE = [2**k for k in range(1, 16)]  # 15 data set sizes, 2 .. 32,768 people
# 26 widths from 4 to 128 (the seed does not list the fine grid's spacing): every 4 up to 80, then every 8.
PAPER_WIDTHS = list(range(4, 81, 4)) + list(range(88, 129, 8))
PAPER_SEEDS = list(range(10))
# The paper's compressibility widths for 1,000 people.
COMPRESSIBILITY_WIDTHS = list(range(4, 45, 4))


def capacity_profile(profile: str) -> MemoryGridConfig:
    if profile == "paper":
        return MemoryGridConfig(
            people=PAPER_PEOPLE, widths=PAPER_WIDTHS, data_seeds=PAPER_SEEDS, **_paper_training()
        )
    # Widths that decide a result at the CPU budget. Earlier runs: in-tool widths 8 and 16 never
    # learned the tool's format, in-weight widths 8 and 16 stored nothing beyond 64 people
    # (width 16: 0.82 at 64 people, 0.05 at 256); in-tool width 32 did not learn to copy the
    # database's answer even in 6,000 steps (recall 0.36 at 1,024 people), width 48 did, so
    # in-tool stops at 48. The cells evaluate unseen people too, so that memory_ood reuses them.
    return MemoryGridConfig(widths=[32, 48, 64], ood_questions=1000, **_cpu_training(in_tool_widths=[32, 48]))


def ood_profile(profile: str) -> MemoryGridConfig:
    if profile == "paper":
        # itl's generalisation grid (generalization.yaml): 10 data sizes, 5 widths, seed 0, and
        # its protocol (best of 100 evaluations on 40 questions) beside our 1,000 final questions.
        return MemoryGridConfig(
            people=PAPER_PEOPLE[5:],
            widths=[24, 36, 56, 96, 128],
            data_seeds=[0],
            ood_questions=1000,
            itl_ood_every=1000,
            **_paper_training(),
        )
    return MemoryGridConfig(people=[64, 256, 1024], widths=[32, 48], ood_questions=1000, **_cpu_training())


def compressibility_profile(profile: str) -> MemoryGridConfig:
    if profile == "paper":
        return MemoryGridConfig(
            modes=["in_weight"], people=[1000], widths=COMPRESSIBILITY_WIDTHS,
            alphas=[0.0, 0.25, 0.5, 0.75, 1.0], design="itl", data_seeds=PAPER_SEEDS,
            **_paper_training(),
        )  # fmt: skip
    # At the CPU budget (5,000 steps, not 100k), with itl's people, 1,024 independent people need
    # width 64 (recall 0.98; width 56: 0.74) and fully dependent ones width 48 (0.99; width 40:
    # 0.83). Widths 40-64 place the 95% threshold at both ends; ALPHAs 0, 0.5 and 1 keep the grid to
    # 12 cells, 55 min on 2 cores (`--set 'alphas=[0,0.25,0.5,0.75,1]'` gives the paper's five).
    # Every ALPHA draws its people by itl's design, 1 included, so the grid compares one
    # population's names at each ALPHA.
    return MemoryGridConfig(
        modes=["in_weight"], people=[1024], widths=[40, 48, 56, 64], alphas=[0.0, 0.5, 1.0], design="itl",
        ood_questions=1000, **_cpu_training(),
    )  # fmt: skip
