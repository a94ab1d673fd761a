"""``toolgym/PeopleMemory-v0``: answer questions about people, from a database or from memory."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from envs.checks import check_choice, check_int
from envs.core import TextEnv, ToolCall, ToolCallError
from envs.memory.database import TABLE, ensure_database
from envs.memory.people import (
    ANSWERS,
    ATTRIBUTES,
    POOL_FILES,
    QUESTIONS,
    TOOL_PREAMBLE,
    Person,
    generate_population,
    load_pool,
    resolve_design,
)
from tools.base import ToolError
from tools.sql import SQLTool

MODES = ("in_tool", "in_weight")
SPLITS = ("train", "ood")
QUERY_LANGUAGES = ("find", "sql")

SQL_FENCE = re.compile(r"```sql[ \t]*\n?(.*?)```", re.DOTALL)
FIND_QUERY = re.compile(r"FIND (\w+) FOR (.+)")


class PeopleMemoryEnv(TextEnv):
    """Questions about fictional people, answered through a SQL database or from the weights.

    ## Description
    The in-tool vs in-weight memory study of *Provable Benefits of In-Tool Learning for Large
    Language Models*. A population of people (first x last names) has four attributes:
    ``birth_date``, ``birth_place``, ``occupation``, ``current_address``. Each task asks one of
    them about one person with the paper's template, e.g. ``When was Alice Moreau born?``.
    In ``in_tool`` mode the agent may query the database; in ``in_weight`` mode it must answer
    from what it memorised.

    ## Action Space
    ``UnicodeText`` (printable Unicode, up to 4096 characters): one assistant turn. A turn holding a
    ```` ```sql ... ``` ```` fence is a tool call to the database; any other turn is the final answer.
    - ``query_language="find"`` (the paper's language): ``FIND <attribute> FOR <name>``, e.g.::

          To answer this question I will make a request to the database:
          ```sql
          FIND birth_date FOR Alice Moreau
          ```
    - ``query_language="sql"``: one read-only ``SELECT`` over the table ``people(name,
      birth_date, birth_place, current_address, occupation)``, e.g.
      ``SELECT birth_date FROM people WHERE name = 'Alice Moreau'``.

    ## Observation Space
    ``UnicodeText`` (printable Unicode, up to 4096 characters). After ``reset``: the question
    (``info["role"] == "user"``; ``info["tools"]``: the database's JSON Schema in ``in_tool``
    mode). After a tool call: the database's answer, the value(s) found, ``No result found`` or
    ``Error: ...`` (``info["role"] == "tool"``). After a malformed turn
    (unclosed fence, a tool call in ``in_weight`` mode, non-text): the env's feedback
    (``info["role"] == "user"``, ``info["name"] == "env"``). After the final answer: ``""``.

    ## Rewards
    1.0 when the final answer, trailing whitespace removed, ends with ``<value>.`` for the asked
    attribute (the value standing as a whole word), e.g. ``Alice Moreau was born on 3/7/1981.``;
    otherwise 0.0. Tool calls and feedback turns give 0. Scores: ``{"correct": reward}``
    (``info["scores"]`` on the final answer; 0 for a truncated episode).

    ## Starting State
    A task drawn uniformly from ``self.np_random`` among ``4 * n_people`` (person, attribute)
    pairs, or the one given by ``reset(options={"task_id": i})`` with task ``i`` = person
    ``i // 4``, attribute ``ATTRIBUTES[i % 4]``.

    ## Episode End
    Terminates on the final answer. Truncated by ``TimeLimit`` after ``max_episode_steps`` turns
    (4 at registration).

    ## Arguments
    - ``n_people`` (int, default 1000): people asked about (the first ``n_people`` of the split's
      seeded order). The database always holds everyone of both pools.
    - ``mode`` (``"in_tool"`` | ``"in_weight"``): whether the database tool exists.
    - ``split`` (``"train"`` | ``"ood"``): the training pool, or people whose first names are
      disjoint from it.
    - ``alpha`` (float in [0, 1], default 1.0): attribute independence; lower ties attributes to the
      last name (the paper's ALPHA).
    - ``design`` (``"itl"`` | ``"wide"`` | None): how the people are drawn (``envs.memory.people``);
      None: ``itl`` (128 x 64 names, itl's dependent data) for ``alpha < 1``, ``wide`` for 1.
    - ``query_language`` (``"find"`` | ``"sql"``): what goes inside the fence.
    - ``db_url`` (str | None): SQLAlchemy URL of the database; ``None`` builds a SQLite file in the
      cache folder (``$TOOLGYM_CACHE`` or ``~/.cache/toolgym``) on first use.
    - ``seed`` (int, default 0): data seed of the population.
    - ``query_timeout_s`` (float, default 1.0), ``max_rows`` (int, default 20): tool budgets.

    ## Version History
    - v0: initial version.
    """

    score_names = ("correct",)

    def __init__(
        self,
        n_people: int = 1000,
        mode: str = "in_tool",
        split: str = "train",
        alpha: float = 1.0,
        design: str | None = None,
        query_language: str = "find",
        db_url: str | None = None,
        seed: int = 0,
        query_timeout_s: float = 1.0,
        max_rows: int = 20,
        render_mode: str | None = None,
    ):
        check_choice("mode", mode, MODES)
        check_choice("split", split, SPLITS)
        check_choice("query_language", query_language, QUERY_LANGUAGES)
        check_int("max_rows", max_rows, minimum=1)
        design = resolve_design(design, alpha)
        population = generate_population(seed, alpha, design)
        pool = population.train if split == "train" else population.ood
        check_int("n_people", n_people, minimum=1, maximum=len(pool))
        self.n_people, self.mode, self.split, self.alpha, self.design = n_people, mode, split, alpha, design
        self.query_language, self.seed = query_language, seed
        self.people: list[Person] = pool[: int(n_people)]
        self.num_tasks = len(self.people) * len(ATTRIBUTES)
        self.sql: SQLTool | None = None
        tools = {}
        if mode == "in_tool":
            url = ensure_database(db_url, seed, alpha, design)
            self.sql = SQLTool(url, allowed_tables=(TABLE,), max_rows=max_rows, timeout_s=query_timeout_s)
            tools["database"] = self._query_database
        schemas = [_database_schema(query_language)] if mode == "in_tool" else []
        super().__init__(tools, render_mode=render_mode, tool_schemas=schemas)

    # ------------------------------------------------------------------ task
    @property
    def person(self) -> Person:
        return self.people[self.task_id // len(ATTRIBUTES)]

    @property
    def attribute(self) -> str:
        return ATTRIBUTES[self.task_id % len(ATTRIBUTES)]

    def _new_task(self, options: dict[str, Any]) -> tuple[int, str]:
        self.task_id = task_id = self.choose_task_id(options)
        return task_id, QUESTIONS[self.attribute].format(name=self.person.name)

    def gold(self) -> str:
        return getattr(self.person, self.attribute)

    def random_answer(self) -> str:
        # Its own generator, seeded by the task, so playing it never shifts the env's task draws.
        rng = np.random.default_rng([self.seed, self.task_id, len(self.messages)])
        if self.attribute == "birth_date":
            value = f"{rng.integers(1, 29)}/{rng.integers(1, 13)}/{rng.integers(1950, 2001)}"
        else:
            pool = load_pool(POOL_FILES[self.attribute])
            value = pool[rng.integers(len(pool))]
        return ANSWERS[self.attribute].format(name=self.person.name, value=value)

    def task_info(self) -> dict[str, str]:
        """What the task is about, for per-attribute metrics in records."""
        return {"attribute": self.attribute, "name": self.person.name, "split": self.split}

    def demonstration(self) -> list[str]:
        answer = ANSWERS[self.attribute].format(name=self.person.name, value=self.gold())
        if self.mode == "in_weight":
            return [answer]
        if self.query_language == "find":
            query = f"FIND {self.attribute} FOR {self.person.name}"
        else:
            query = f"SELECT {self.attribute} FROM {TABLE} WHERE name = '{self.person.name}'"
        return [f"{TOOL_PREAMBLE}\n```sql\n{query}\n```", answer]

    # ------------------------------------------------------------------ turns
    def parse_tool_calls(self, text: str) -> list[ToolCall]:
        match = SQL_FENCE.search(text)
        if match:
            return [ToolCall("database", {"query": match.group(1).strip()})]
        if "```sql" in text:
            raise ToolCallError("the ```sql fence is not closed; end the query with ```")
        return []

    def _query_database(self, query: str) -> str:
        if self.query_language == "sql":
            return self.sql.query(query)
        match = FIND_QUERY.fullmatch(query)
        if match is None:
            raise ToolError("expected `FIND <attribute> FOR <name>`")
        attribute, name = match.groups()
        if attribute not in ATTRIBUTES:
            raise ToolError(f"unknown attribute {attribute!r}; attributes: {', '.join(ATTRIBUTES)}")
        rows = self.sql.execute(f"SELECT {attribute} FROM {TABLE} WHERE name = :name", {"name": name.strip()})
        return self.sql.format_rows(rows)

    def score(self, answer: str) -> float:
        return float(_ends_with_value(answer, self.gold()))

    def scores(self, answer: str) -> dict[str, float]:
        return {"correct": self.score(answer)}

    def close(self) -> None:
        if self.sql is not None:
            self.sql.close()
        super().close()


def _ends_with_value(answer: str, value: str) -> bool:
    """Whether ``answer`` ends with ``value.``, the value standing as a whole word."""
    answer = answer.rstrip()
    if not answer.endswith(value + "."):
        return False
    start = len(answer) - len(value) - 1
    return start == 0 or not (answer[start - 1].isalnum() or answer[start - 1] in "/-'")


def _database_schema(query_language: str) -> dict[str, Any]:
    """The database tool as a JSON Schema (Hugging Face ``tools=`` form)."""
    if query_language == "find":
        query = f"FIND <attribute> FOR <full name>; attributes: {', '.join(ATTRIBUTES)}"
    else:
        query = f"one read-only SELECT over {TABLE}(name, {', '.join(ATTRIBUTES)})"
    return {
        "type": "function",
        "function": {
            "name": "database",
            "description": "Look up facts about people in the database.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string", "description": query}},
                "required": ["query"],
            },
        },
    }
