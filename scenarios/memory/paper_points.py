"""The in-tool learning paper's measured points, drawn beside ours on the memory grids' figures.

Derived from the CSVs committed in ambroiseodt/itl's ``results/`` (no figure files are committed)
by itl's own rules (``plots/analysis.py``): the smallest ``nb_params`` with ``accuracy_best >= 0.95``
per data seed, averaged over the seeds that reach it (``docs/memory_itl_reference.md`` section 6).
``accuracy_best`` is the best of the run's evaluations: final recall in ``grid4.csv`` (one
evaluation), best of 100 in the other two.
"""

from __future__ import annotations

SOURCE = "ambroiseodt/itl results/"

# results/grid4.csv: people -> mean smallest parameter count (10 seeds; 9 reach 95% in-weight at
# 16,384 people, none at 32,768, so that point is absent). Facts are 4 per person.
_CAPACITY_PEOPLE = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768]
_CAPACITY = {
    "in_tool": [6248, 6248, 6248, 10908, 10908, 16592, 23300, 27939, 32215, 28349, 22163, 23710, 22061,
                29224, 24176],
    "in_weight": [2612, 5884, 6248, 6248, 10908, 10908, 16592, 27166, 37161, 45656, 69834, 115420,
                  220626, 568925, None],
}  # fmt: skip
CAPACITY = [
    {"mode": mode, "facts": 4 * n, "params_needed": params}
    for mode, column in _CAPACITY.items()
    for n, params in zip(_CAPACITY_PEOPLE, column, strict=True)
    if params is not None
]
CAPACITY_FIT = {"params_per_fact": 8.138, "intercept": 5171.0}
"""itl's in-weight fit of those points, (0, 0) appended (``np.polyfit``, degree 1)."""

# results/grid_dependent_1000.csv: 1,000 people, one seed; correlation is 1 - the generator's ALPHA.
# (The paper's figure draws this curve at twice its values; these are the measured ones.)
COMPRESSIBILITY = [
    {"mode": "in_weight", "n_people": 1000, "correlation": 1 - alpha, "params_needed": params}
    for alpha, params in [(1.0, 49568), (0.75, 39788), (0.5, 39788), (0.25, 31032), (0.0, 23300)]
]

# results/grid_ood.csv: in-tool accuracy on 10 unseen people (40 questions, best of 100
# evaluations), seed 0, at the two model sizes nearest ours.
_OOD_PEOPLE = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768]
_OOD = {
    60372: [0.05, 0.05, 0.05, 0.025, 1.0, 1.0, 0.875, 1.0, 0.9, 0.975],
    129752: [0.075, 0.05, 0.025, 0.8, 1.0, 1.0, 1.0, 1.0, 0.95, 1.0],
}
OOD = [
    {"mode": "in_tool", "params": params, "n_people": n, "ood_accuracy": accuracy}
    for params, column in _OOD.items()
    for n, accuracy in zip(_OOD_PEOPLE, column, strict=True)
]
