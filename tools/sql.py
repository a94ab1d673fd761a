"""A strictly read-only SQL tool over SQLAlchemy.

The agent's SQL passes three gates before it touches data:

1. **Validation** (:func:`validate_select`): the text is parsed with sqlglot and must be exactly one
   SELECT (plain, set operation or CTE) over the allowed tables. DML, DDL, ``ATTACH``, ``PRAGMA``,
   ``SELECT ... INTO``, ``FOR UPDATE``, table functions, schema-qualified names and a deny-list of
   functions (blob makers, file readers, catalogue inspectors) are rejected.
2. **A read-only connection**: SQLite files are opened with ``mode=ro`` and ``PRAGMA query_only``;
   PostgreSQL sessions are ``READ ONLY`` transactions. Even a query that slipped past validation
   cannot write.
3. **Budgets**: a wall-clock timeout per query (SQLite progress handler, PostgreSQL
   ``statement_timeout``), a cap on SQLite string/blob length, a cap on rows fetched and on the
   characters returned, so a recursive CTE or a cartesian join cannot hang or bloat the episode.

Every failure becomes a :class:`tools.base.ToolError` whose message the environment shows to the agent.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import urllib.parse
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlglot import exp

from tools.base import ToolError

# sqlglot logs a warning for every statement it cannot fully parse; hostile input is expected here.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

NO_RESULT = "No result found"

# Functions that can allocate huge values, read files, or inspect/alter the server. Matched on the
# lower-cased name and on prefixes ending in "_".
DENIED_FUNCTIONS = frozenset(
    {
        "randomblob",
        "zeroblob",
        "repeat",
        "printf",
        "format",
        "lpad",
        "rpad",
        "space",
        "replicate",
        "load_extension",
        "readfile",
        "writefile",
        "edit",
        "fts3_tokenizer",
        "current_setting",
        "set_config",
        "generate_series",
        "version",
        "query_to_xml",
        "dblink",
        "txid_current",
    }
)
DENIED_PREFIXES = ("sqlite_", "pg_", "lo_", "pragma_", "dblink_", "query_to_")

# Statement parts that write, lock or change the session.
DENIED_NODES = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
    exp.Pragma,
    exp.Attach,
    exp.Detach,
    exp.Set,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Into,
    exp.Lock,
    exp.Merge,
    exp.Copy,
)


def validate_select(
    sql: str, allowed_tables: Collection[str], dialect: str = "sqlite", max_chars: int = 2000
) -> str:
    """Check that ``sql`` is one read-only SELECT over ``allowed_tables``.

    Args:
        sql: the agent's query text.
        allowed_tables: table names (lower case) the query may read.
        dialect: the sqlglot dialect to parse with ("sqlite", "postgres", ...).
        max_chars: longest query accepted.

    Returns:
        The query text, stripped of surrounding whitespace and one trailing semicolon.

    Raises:
        ToolError: naming the first reason the query is refused.
    """
    if not isinstance(sql, str):
        raise ToolError(f"a query must be text, got {type(sql).__name__}")
    sql = sql.strip()
    if not sql:
        raise ToolError("empty query")
    if len(sql) > max_chars:
        raise ToolError(f"query is {len(sql)} characters long; the limit is {max_chars}")
    if "\x00" in sql:
        raise ToolError("query contains a NUL character")
    try:
        sql.encode("utf-8")
    except UnicodeEncodeError:
        raise ToolError("query is not valid UTF-8 text") from None
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    # sqlglot raises many error types (ParseError, TokenError, RecursionError on deep nesting...)
    # on hostile text; each one simply means "not a query we accept".
    except Exception as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ToolError(f"could not parse the query: {first_line[:200]}") from None
    if len(statements) != 1:
        raise ToolError(f"exactly one statement is allowed, got {len(statements)}")
    root = statements[0]
    if not isinstance(root, exp.Select | exp.SetOperation | exp.Subquery):
        raise ToolError(f"only SELECT queries are allowed, got {root.key.upper()}")
    cte_names = {cte.alias_or_name.lower() for cte in root.find_all(exp.CTE)}
    for node in root.walk():
        if isinstance(node, DENIED_NODES):
            raise ToolError(f"{node.key.upper()} is not allowed in a read-only query")
        if isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if name in DENIED_FUNCTIONS or name.startswith(DENIED_PREFIXES):
                raise ToolError(f"function {name}() is not allowed")
        if isinstance(node, exp.Table):
            if not isinstance(node.this, exp.Identifier):
                raise ToolError("table functions are not allowed in FROM")
            if node.db or node.catalog:
                raise ToolError(f"qualified table names are not allowed: {node.sql(dialect=dialect)}")
            table = node.name.lower()
            if table not in allowed_tables and table not in cte_names:
                raise ToolError(f"unknown table {node.name!r}; tables: {', '.join(sorted(allowed_tables))}")
    return sql[:-1].rstrip() if sql.endswith(";") else sql


def read_only_url(url: str) -> str:
    """Turn a SQLite file URL into a read-only URI URL; other URLs are returned unchanged."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return url
    if parsed.database.startswith("file:"):
        path, _, _ = parsed.database[len("file:") :].partition("?")
        path = urllib.parse.unquote(path)
    else:
        path = parsed.database
    if not Path(path).exists():
        raise FileNotFoundError(f"SQLite database not found: {path}")
    # Two layers of escaping: SQLite's URI filename (% ? # in the path percent-encoded), then
    # SQLAlchemy's URL around it (URL.create quotes what its own parser would misread).
    uri = "file:" + urllib.parse.quote(str(Path(path).resolve()))
    return sa.engine.URL.create("sqlite", database=uri, query={"mode": "ro", "uri": "true"}).render_as_string(
        hide_password=False
    )


class SQLTool:
    """Read-only SQL access to one database for an agent.

    Args:
        url: any SQLAlchemy URL (``sqlite:///people.db``, ``postgresql+psycopg://user@host/db``).
            SQLite files are opened read-only.
        allowed_tables: the tables queries may read.
        max_rows: rows returned at most; more are cut with a note.
        timeout_s: wall-clock budget of one query.
        max_query_chars: longest query accepted.
        max_result_chars: longest answer text returned.
        max_value_bytes: longest string or blob SQLite may build (SQLITE_LIMIT_LENGTH).
    """

    def __init__(
        self,
        url: str,
        allowed_tables: Collection[str] = ("people",),
        max_rows: int = 20,
        timeout_s: float = 1.0,
        max_query_chars: int = 2000,
        max_result_chars: int = 2000,
        max_value_bytes: int = 1_000_000,
    ):
        self.url = read_only_url(url)
        self.allowed_tables = frozenset(t.lower() for t in allowed_tables)
        self.max_rows = max_rows
        self.timeout_s = timeout_s
        self.max_query_chars = max_query_chars
        self.max_result_chars = max_result_chars
        self.max_value_bytes = max_value_bytes
        self._deadline = float("inf")
        self.engine = sa.create_engine(self.url)
        self.dialect = self.engine.dialect.name
        sa.event.listen(self.engine, "connect", self._on_connect)
        self._connection: Any = None  # a pooled DBAPI connection proxy, see _driver_connection
        self._compiled: dict[str, Any] = {}

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        """Arm the second and third lines of defence on every new DBAPI connection."""
        if self.dialect == "sqlite":
            dbapi_connection.execute("PRAGMA query_only = ON")
            if hasattr(dbapi_connection, "setlimit"):  # Python >= 3.11
                dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, self.max_value_bytes)
            # The handler runs every 1000 VM instructions; a non-zero return interrupts the query.
            dbapi_connection.set_progress_handler(lambda: time.monotonic() > self._deadline, 1000)
        elif self.dialect == "postgresql":
            cursor = dbapi_connection.cursor()
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            cursor.execute(f"SET statement_timeout = {max(1, int(self.timeout_s * 1000))}")
            cursor.close()
            dbapi_connection.commit()
            # No transaction left idle between the agent's queries.
            dbapi_connection.autocommit = True

    def _driver_connection(self) -> Any:
        """The DBAPI connection of one long-lived pooled SQLAlchemy connection.

        Queries run on the driver's cursor, not through ``Connection.execute``: SQLAlchemy's
        per-call result machinery cost ~5x a lookup itself (see bench/env_throughput.py).
        SQLAlchemy still provides the URL handling, dialect, pool and statement compilation.
        """
        if self._connection is None:
            self._connection = self.engine.raw_connection()
        return self._connection.driver_connection

    def query(self, sql: str) -> str:
        """Validate and run agent-written SQL; return the rows as text."""
        sql = validate_select(sql, self.allowed_tables, self._sqlglot_dialect, self.max_query_chars)
        return self.format_rows(self._run(sql, None))

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[Sequence[Any]]:
        """Run trusted SQL with bound ``params`` (``:name`` placeholders) under the budgets.

        Only call this with SQL built by the program (values go through ``params``); agent-written
        SQL goes through :meth:`query`.
        """
        params = params or {}
        for value in params.values():
            if isinstance(value, str) and not _is_encodable(value):
                raise ToolError("a query value is not valid UTF-8 text")
        compiled = self._compiled.get(sql)
        if compiled is None:
            compiled = self._compiled[sql] = sa.text(sql).compile(dialect=self.engine.dialect)
        if compiled.positional:
            driver_params: Any = tuple(params[name] for name in compiled.positiontup)
        else:
            driver_params = params
        return self._run(compiled.string, driver_params)

    def _run(self, sql: str, params: Any) -> list[Sequence[Any]]:
        connection = self._driver_connection()
        self._deadline = time.monotonic() + self.timeout_s
        cursor = connection.cursor()
        try:
            if params is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, params)
            return cursor.fetchmany(self.max_rows + 1)
        except self.engine.dialect.loaded_dbapi.Error as error:
            message = self._describe(error)
            if not message.startswith("query stopped") and isinstance(
                error,
                self.engine.dialect.loaded_dbapi.OperationalError
                | self.engine.dialect.loaded_dbapi.InterfaceError,
            ):
                self._drop_connection()  # it may be broken (server gone); the next call reconnects
            raise ToolError(message) from None
        except (ValueError, OverflowError, UnicodeError) as error:
            raise ToolError(f"query failed: {str(error).splitlines()[0][:200]}") from None
        finally:
            self._deadline = float("inf")
            try:
                cursor.close()
            except self.engine.dialect.loaded_dbapi.Error:
                self._drop_connection()

    def format_rows(self, rows: list[Sequence[Any]]) -> str:
        """Rows as text: one line per row, columns separated by ", "; a note when cut."""
        if not rows:
            return NO_RESULT
        lines = [", ".join("NULL" if v is None else str(v) for v in row) for row in rows[: self.max_rows]]
        if len(rows) > self.max_rows:
            lines.append(f"... (only the first {self.max_rows} rows are shown)")
        text = "\n".join(lines)
        if len(text) > self.max_result_chars:
            text = text[: self.max_result_chars] + " ... (result cut)"
        return text

    def _describe(self, error: Exception) -> str:
        message = str(error).strip().splitlines()[0] if str(error).strip() else "unknown error"
        if "interrupted" in message or "statement timeout" in message:
            return f"query stopped: it ran longer than {self.timeout_s:g} s"
        return f"SQL error: {message[:300]}"

    @property
    def _sqlglot_dialect(self) -> str:
        return {"postgresql": "postgres"}.get(self.dialect, self.dialect)

    def _drop_connection(self) -> None:
        if self._connection is not None:
            self._connection.invalidate()
            self._connection = None

    def close(self) -> None:
        """Release the connection and the engine's pool."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.engine.dispose()

    def __getstate__(self) -> dict[str, Any]:
        # Connections cannot cross process boundaries (AsyncVectorEnv pickles env factories).
        state = self.__dict__.copy()
        state.update(engine=None, _connection=None, _compiled={})
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.engine = sa.create_engine(self.url)
        sa.event.listen(self.engine, "connect", self._on_connect)


def _is_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
