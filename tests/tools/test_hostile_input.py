"""10,000+ random and hostile actions against PeopleMemory's database tool, on SQLite and PostgreSQL.

Nothing may raise or hang, and the database must be unchanged afterwards.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from pathlib import Path

import gymnasium as gym
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import envs  # noqa: F401
from agents.oracle import OracleAgent
from agents.rollout import rollout
from envs.core import MAX_OBSERVATION_CHARS
from envs.memory.database import sqlite_url

HOSTILE_SQL = [
    "'; DROP TABLE people; --",
    "DROP TABLE people",
    "DELETE FROM people",
    "UPDATE people SET occupation = 'hacker'",
    "INSERT INTO people (name) VALUES ('x')",
    "ATTACH DATABASE '/tmp/evil.db' AS evil",
    "PRAGMA writable_schema=1",
    "PRAGMA query_only=0",
    "SELECT 1; DROP TABLE people",
    "SELECT name FROM people; DELETE FROM people",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c",
    "SELECT count(*) FROM people a, people b, people c",
    "SELECT a.name FROM people a CROSS JOIN people b ORDER BY a.name DESC",
    "SELECT randomblob(1000000000)",
    "SELECT * FROM sqlite_master",
    "SELECT * FROM pg_catalog.pg_user",
    "SELECT pg_sleep(10)",
    "SELECT * FROM generate_series(1, 1000000000)",
    "SELECT * INTO stolen FROM people",
    "SELECT * FROM people FOR UPDATE",
    "CREATE TABLE t AS SELECT * FROM people",
    "COPY people TO '/tmp/out.csv'",
    "SET default_transaction_read_only = off",
    "BEGIN; DELETE FROM people; COMMIT",
    "SELECT " + "(" * 3000 + "1" + ")" * 3000,
    "SELECT name FROM people WHERE name = '\x00'",
    "SELECT '\ud800'",
    "FIND birth_date FOR '; DROP TABLE people; --",
    "FIND name FOR x",
    "FIND birth_date FOR " + "A" * 3000,
]
FENCE = "```sql\n{}\n```"

actions = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300),
    st.sampled_from(HOSTILE_SQL).map(FENCE.format),
    st.text(max_size=300).map(FENCE.format),
    st.sampled_from(HOSTILE_SQL).map(lambda q: "```sql\n" + q),  # unterminated fence
    st.sampled_from(["", "```", "```sql", "```sql```", "x" * 1_000_000, "```sql\n" + "y" * 5000 + "\n```"]),
    st.sampled_from([None, 3, 2.5, ["list"], {"a": 1}]),
    st.builds(lambda a, b: a + "```sql\n" + b + "\n```", st.text(max_size=50), st.sampled_from(HOSTILE_SQL)),
)


def sqlite_fingerprint(url: str) -> str:
    return hashlib.sha256(Path(sa.make_url(url).database).read_bytes()).hexdigest()


def postgres_fingerprint(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT md5(string_agg(p::text, '|' ORDER BY name)) FROM people p")
        ).scalar()
        tables = connection.execute(
            sa.text(
                "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables"
                " WHERE schemaname = 'public'"
            )
        ).scalar()
    engine.dispose()
    return f"{rows}/{tables}"


def throw_hostile_actions(db_url: str | None, query_language: str, examples: int) -> None:
    env = gym.make(
        "toolgym/PeopleMemory-v0",
        n_people=100,
        query_language=query_language,
        db_url=db_url,
        query_timeout_s=0.05,
        max_episode_steps=10**9,
    )
    env.reset(seed=0)
    steps = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(action=actions)
    def step_once(action):
        nonlocal steps
        steps += 1
        observation, _reward, terminated, _truncated, _info = env.step(action)
        assert isinstance(observation, str) and len(observation) <= MAX_OBSERVATION_CHARS
        assert env.observation_space.contains(observation)
        if terminated:
            env.reset()

    step_once()
    env.close()
    assert steps >= examples


def test_sqlite_survives_hostile_actions():
    url = sa.engine.make_url(gym.make("toolgym/PeopleMemory-v0", n_people=100).unwrapped.sql.url)
    path_url = sqlite_url(urllib.parse.unquote(url.database.removeprefix("file:")))
    before = sqlite_fingerprint(path_url)
    throw_hostile_actions(None, "sql", examples=10_000)
    throw_hostile_actions(None, "find", examples=2_000)
    assert sqlite_fingerprint(path_url) == before


@pytest.mark.postgres
def test_postgres_env_oracle_and_hostile_actions(postgres_url):
    def make_env():
        return gym.make("toolgym/PeopleMemory-v0", n_people=200, db_url=postgres_url, query_language="sql")

    trajectories = rollout(make_env, OracleAgent(), tasks=[{"task_id": i} for i in range(800)], num_envs=8)
    assert len(trajectories) == 800 and all(t.reward == 1.0 for t in trajectories)
    find = rollout(
        lambda: gym.make("toolgym/PeopleMemory-v0", n_people=50, db_url=postgres_url), OracleAgent(), 200
    )
    assert all(t.reward == 1.0 for t in find)
    before = postgres_fingerprint(postgres_url)
    throw_hostile_actions(postgres_url, "sql", examples=3_000)
    assert postgres_fingerprint(postgres_url) == before


@pytest.mark.postgres
def test_postgres_database_of_another_data_set_is_refused(postgres_url):
    gym.make("toolgym/PeopleMemory-v0", n_people=10, db_url=postgres_url)  # builds seed 0 (or reuses it)
    with pytest.raises(ValueError, match="holds data set"):
        gym.make("toolgym/PeopleMemory-v0", n_people=10, db_url=postgres_url, seed=1)
