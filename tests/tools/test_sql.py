"""The read-only SQL tool: what it accepts, what it refuses, its budgets."""

from __future__ import annotations

import sqlite3

import pytest

from tools.base import ToolError
from tools.sql import NO_RESULT, SQLTool, validate_select

ALLOWED = {"people"}


@pytest.fixture
def people_db(tmp_path):
    path = tmp_path / "people.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE people (name TEXT PRIMARY KEY, city TEXT)")
        connection.executemany(
            "INSERT INTO people VALUES (?, ?)", [(f"p{i}", f"c{i % 7}") for i in range(500)]
        )
    return path


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT city FROM people WHERE name = 'p1'",
        "select count(*) from people;",
        "SELECT a.name FROM people a JOIN people b ON a.city = b.city LIMIT 3",
        "WITH t AS (SELECT name FROM people) SELECT name FROM t",
        "SELECT name FROM people UNION SELECT city FROM people",
        "(SELECT name FROM people)",
    ],
)
def test_accepts_single_selects(sql):
    assert validate_select(sql, ALLOWED)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("DELETE FROM people", "only SELECT"),
        ("UPDATE people SET city = 'x'", "only SELECT"),
        ("INSERT INTO people VALUES ('a', 'b')", "only SELECT"),
        ("DROP TABLE people", "only SELECT"),
        ("CREATE TABLE x (a)", "only SELECT"),
        ("ATTACH DATABASE '/tmp/evil.db' AS evil", "only SELECT"),
        ("PRAGMA writable_schema=1", "only SELECT"),
        ("VACUUM", "only SELECT"),
        ("SELECT 1; DROP TABLE people", "exactly one statement"),
        ("SELECT * FROM sqlite_master", "unknown table"),
        ("SELECT * FROM main.people", "qualified table"),
        ("SELECT * FROM pragma_table_info('people')", "table functions"),
        ("SELECT randomblob(1000000000)", "randomblob"),
        ("SELECT load_extension('evil')", "load_extension"),
        ("SELECT * INTO copy FROM people", "INTO"),
        ("SELECT * FROM people FOR UPDATE", "not allowed"),
        ("'; DROP TABLE people; --", "parse"),
        ("", "empty"),
        ("SELECT '" + "x" * 5000 + "'", "limit"),
        ("SELECT '\x00'", "NUL"),
    ],
)
def test_refuses_everything_else(sql, reason):
    with pytest.raises(ToolError, match=reason):
        validate_select(sql, ALLOWED)


def test_rows_and_time_are_capped(people_db):
    tool = SQLTool(f"sqlite:///{people_db}", max_rows=5, timeout_s=0.1)
    assert tool.query("SELECT city FROM people WHERE name = 'p8'") == "c1"
    assert tool.query("SELECT city FROM people WHERE name = 'nobody'") == NO_RESULT
    rows = tool.query("SELECT name FROM people ORDER BY name").splitlines()
    assert len(rows) == 6 and "only the first 5 rows" in rows[-1]
    infinite = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    with pytest.raises(ToolError, match=r"longer than 0\.1 s"):
        tool.query(infinite)
    with pytest.raises(ToolError, match=r"longer than 0\.1 s"):
        tool.query("SELECT count(*) FROM people a, people b, people c, people d")
    assert tool.query("SELECT count(*) FROM people") == "500"  # still usable after a timeout


def test_connection_is_read_only_even_without_validation(people_db):
    tool = SQLTool(f"sqlite:///{people_db}")
    with pytest.raises(ToolError, match=r"readonly|read-only|query_only"):
        tool.execute("DELETE FROM people")
    assert tool.query("SELECT count(*) FROM people") == "500"


def test_bound_values_are_not_sql(people_db):
    tool = SQLTool(f"sqlite:///{people_db}")
    rows = tool.execute("SELECT city FROM people WHERE name = :name", {"name": "p1' OR '1'='1"})
    assert rows == []


def test_missing_sqlite_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere\.sqlite"):
        SQLTool(f"sqlite:///{tmp_path / 'nowhere.sqlite'}")
