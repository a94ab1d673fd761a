"""The PeopleMemory data: a population of fictional people with four attributes.

Follows the in-tool learning paper's generator: every pair of a first name and a last
name is one person, in a seeded random order; each person has a birth date (D/M/YYYY with day
1-28, month 1-12, year 1950-2000), a birth place (one of 7 countries), a current address (one of
213 cities) and an occupation (one of 100). The pools are the project's own lists in ``names/``.

Out-of-distribution people pair first names from a disjoint pool (``first_names_ood.txt``) with
the same last names.

Dependent data (the paper's ALPHA): for birth place, address and occupation, with probability
``alpha`` the value is drawn uniformly from the pool cut to ``max(2, int(alpha * |pool|))``,
otherwise it is the family's value (drawn once per last name from the full pool). ``alpha=1``
gives independent attributes; ``alpha=0`` makes them a function of the last name. Birth dates
are always uniform.
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


@functools.lru_cache(maxsize=4)
def generate_population(seed: int = 0, alpha: float = 1.0) -> Population:
    """Generate every person of both pools, deterministically from ``seed`` and ``alpha``."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha={alpha} is not valid; it must lie in [0, 1]")
    rng = np.random.default_rng([seed, round(alpha * 1_000_000)])
    last_names = load_pool("last_names")
    pools = {attribute: load_pool(file) for attribute, file in POOL_FILES.items()}
    family = {a: rng.integers(len(pool), size=len(last_names)) for a, pool in pools.items()}

    def people(first_names: tuple[str, ...]) -> list[Person]:
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
            cut = max(2, int(alpha * len(pool)))
            uniform = rng.integers(cut, size=n)
            chosen = np.where(rng.random(n) < alpha, uniform, family[attribute][last])
            columns[attribute] = [pool[i] for i in chosen.tolist()]
        names = [
            f"{first_names[f]} {last_names[l_]}" for f, l_ in zip(first.tolist(), last.tolist(), strict=True)
        ]
        return [Person(*row) for row in zip(names, *(columns[f] for f in Person._fields[1:]), strict=True)]

    return Population(train=people(load_pool("first_names")), ood=people(load_pool("first_names_ood")))
