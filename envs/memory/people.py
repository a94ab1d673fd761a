"""The PeopleMemory data: a population of fictional people with four attributes.

Follows the in-tool learning paper's generator: every pair of a first name and a last
name is one person, in a seeded random order; each person has a birth date (D/M/YYYY with day
1-28, month 1-12, year 1950-2000), a birth place (one of 7 countries), a current address (one of
213 cities) and an occupation (one of 100). The pools are the project's own lists in ``names/``.

Out-of-distribution people pair first names from a disjoint pool (``first_names_ood.txt``) with
the same last names.

Dependent data (the paper's ALPHA), for birth place, address and occupation: with probability
``alpha`` a value is drawn uniformly from the pool cut to ``max(2, int(alpha * |pool|))``,
otherwise it is the family's value (one per last name). Birth dates are always uniform.
``alpha=1`` gives independent attributes; ``alpha=0`` makes them a function of the last name.
Two designs (``DESIGNS``):

- ``"itl"`` (the default for ``alpha < 1``): as itl's ``dependent_data/generate.py`` does it.
  The names are the first 128 first names x the first 64 last names (alphabetical order, as
  itl's lists are): 8,192 people in 64 families, about 15.6 per family among the first 1,000.
  The cut pool is the first k values in alphabetical order, and the family value is drawn from
  the cut pool too (itl's family lambdas read the pool after it is cut), so at ``alpha=0`` an
  attribute takes 2 values over the whole data set. Out-of-distribution people (the OOD first
  names x the same 64 last names) have independent attributes, as itl's OOD data.
- ``"wide"`` (the default for ``alpha=1``, and the design of the measurements before
  2026-12-03): every first name x every last name (169,556 people, 2.9 per family among the
  first 1,000), the family value drawn from the full pool, the OOD people dependent as well.

The values come from the project's own lists, so they are not itl's names; the rule and the
pool sizes are.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import NamedTuple

import numpy as np

ATTRIBUTES = ("birth_date", "birth_place", "occupation", "current_address")

# One question and one answer (biography) sentence per attribute, verbatim from the paper.
QUESTIONS = {
    "birth_date": "When was {name} born?",
    "birth_place": "Where was {name} born?",
    "occupation": "What is {name}'s occupation?",
    "current_address": "Where does {name} live?",
}
ANSWERS = {
    "birth_date": "{name} was born on {value}.",
    "birth_place": "{name} was born in {value}.",
    "occupation": "{name} works as an {value}.",
    "current_address": "{name} lives at {value}.",
}
TOOL_PREAMBLE = "To answer this question I will make a request to the database:"

# Attribute -> pool file of its values (birth dates are generated, not drawn from a pool).
POOL_FILES = {"birth_place": "countries", "current_address": "cities", "occupation": "occupations"}
DESIGNS = ("itl", "wide")
ITL_NAMES = (128, 64)
"""First names and last names of itl's dependent data (``first_names[:128]``, ``last_names[:64]``)."""


class Person(NamedTuple):
    """One row of the people table (column order as in the paper's database)."""

    name: str
    birth_date: str
    birth_place: str
    current_address: str
    occupation: str


class Population(NamedTuple):
    """All people of the training pool and of the out-of-distribution pool, each in seeded order."""

    train: list[Person]
    ood: list[Person]


@functools.cache
def load_pool(name: str) -> tuple[str, ...]:
    """One of the name/value pools shipped in ``envs/memory/names`` (e.g. ``"cities"``)."""
    text = resources.files("envs.memory").joinpath("names", f"{name}.txt").read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line)


def biography(person: Person) -> list[str]:
    """The person's biography: one answer sentence per attribute."""
    return [ANSWERS[a].format(name=person.name, value=getattr(person, a)) for a in ATTRIBUTES]


def population_size(split: str = "train", design: str = "wide") -> int:
    """People in the ``train`` or ``ood`` pool of a design: its first names times its last names."""
    if design == "itl":  # itl's cut names; its unseen people keep every OOD first name
        first_names = ITL_NAMES[0] if split == "train" else len(load_pool("first_names_ood"))
        return first_names * ITL_NAMES[1]
    first_names = len(load_pool("first_names" if split == "train" else "first_names_ood"))
    return first_names * len(load_pool("last_names"))


def resolve_design(design: str | None, alpha: float) -> str:
    """The data design a population is built with: ``design``, or by default ``itl`` for dependent
    data (``alpha < 1``) and ``wide`` for independent data."""
    if design is None:
        return "itl" if alpha < 1 else "wide"
    if design not in DESIGNS:
        raise ValueError(f"design={design!r} is not valid; choose one of {', '.join(map(repr, DESIGNS))}")
    return design


def generate_population(seed: int = 0, alpha: float = 1.0, design: str | None = None) -> Population:
    """Generate every person of both pools, deterministically from ``seed``, ``alpha`` and the
    design (:func:`resolve_design`)."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha={alpha} is not valid; it must lie in [0, 1]")
    return _population(seed, alpha, resolve_design(design, alpha))


@functools.lru_cache(maxsize=4)
def _population(seed: int, alpha: float, design: str) -> Population:
    if design == "wide":
        rng = np.random.default_rng([seed, round(alpha * 1_000_000)])
        last_names = load_pool("last_names")
        pools = {attribute: load_pool(file) for attribute, file in POOL_FILES.items()}
        family = {a: rng.integers(len(pool), size=len(last_names)) for a, pool in pools.items()}
        cut = {a: max(2, int(alpha * len(pool))) for a, pool in pools.items()}
        return Population(
            train=_people(rng, load_pool("first_names"), last_names, pools, cut, family, alpha),
            ood=_people(rng, load_pool("first_names_ood"), last_names, pools, cut, family, alpha),
        )
    rng = np.random.default_rng([seed, round(alpha * 1_000_000), 1])  # 1: another stream than wide's
    first_count, last_count = ITL_NAMES
    first_names = tuple(sorted(load_pool("first_names"))[:first_count])
    last_names = tuple(sorted(load_pool("last_names"))[:last_count])
    full = {attribute: tuple(sorted(load_pool(file))) for attribute, file in POOL_FILES.items()}
    cut = {attribute: max(2, int(alpha * len(pool))) for attribute, pool in full.items()}
    family = {a: rng.integers(cut[a], size=len(last_names)) for a in full}  # from the cut pool
    everything = {a: len(pool) for a, pool in full.items()}
    independent = {a: np.zeros(len(last_names), dtype=int) for a in full}  # never used at alpha 1
    return Population(
        train=_people(rng, first_names, last_names, full, cut, family, alpha),
        ood=_people(rng, load_pool("first_names_ood"), last_names, full, everything, independent, 1.0),
    )


def _people(
    rng: np.random.Generator,
    first_names: tuple[str, ...],
    last_names: tuple[str, ...],
    pools: dict[str, tuple[str, ...]],
    cut: dict[str, int],
    family: dict[str, np.ndarray],
    alpha: float,
) -> list[Person]:
    """Everyone of ``first_names`` x ``last_names`` in a random order. An attribute's value is
    uniform over the first ``cut[attribute]`` values of its pool with probability ``alpha``, else
    the family's (``family[attribute][last name index]``, an index into the pool)."""
    order = rng.permutation(len(first_names) * len(last_names))
    first, last = np.divmod(order, len(last_names))
    n = len(order)
    columns: dict[str, list[str]] = {
        "birth_date": [
            f"{d}/{m}/{y}"
            for d, m, y in zip(
                rng.integers(1, 29, n).tolist(),
                rng.integers(1, 13, n).tolist(),
                rng.integers(1950, 2001, n).tolist(),
                strict=True,
            )
        ]
    }
    for attribute, pool in pools.items():
        uniform = rng.integers(cut[attribute], size=n)
        chosen = np.where(rng.random(n) < alpha, uniform, family[attribute][last])
        columns[attribute] = [pool[i] for i in chosen.tolist()]
    pairs = zip(first.tolist(), last.tolist(), strict=True)
    names = [f"{first_names[f]} {last_names[l_]}" for f, l_ in pairs]
    return [Person(*row) for row in zip(names, *(columns[f] for f in Person._fields[1:]), strict=True)]
