"""The people database: built once per (seed, alpha, design), on SQLite by default or at any SQLAlchemy URL.

The database holds every person of both pools (training and out-of-distribution), as in the
paper, so that a question about anyone can be answered by a query. A ``toolgym_meta`` table
records which data set a database holds; the agent's SQL tool cannot read it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import sqlalchemy as sa

from envs.memory.people import Person, Population, generate_population, resolve_design

DATASET_VERSION = "people-v1"
TABLE = "people"

_metadata = sa.MetaData()
people_table = sa.Table(
    TABLE,
    _metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    *(sa.Column(field, sa.String(64), nullable=False) for field in Person._fields[1:]),
)
meta_table = sa.Table(
    "toolgym_meta",
    _metadata,
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(128), nullable=False),
)


def dataset_name(seed: int, alpha: float, design: str = "wide") -> str:
    """The name a database records for the data set it holds, e.g. ``people-v1-seed0-alpha1``
    (``wide`` design, the names databases had before there were designs) or
    ``people-v1-seed0-alpha0-itl``."""
    return f"{DATASET_VERSION}-seed{seed}-alpha{alpha:g}" + ("" if design == "wide" else f"-{design}")


def cache_dir() -> Path:
    """Where default databases live: ``$TOOLGYM_CACHE`` or ``~/.cache/toolgym``."""
    return Path(os.environ.get("TOOLGYM_CACHE") or Path.home() / ".cache" / "toolgym")


def ensure_database(db_url: str | None, seed: int, alpha: float, design: str | None = None) -> str:
    """Return a URL of a database holding the (seed, alpha, design) population, building it if needed.

    Args:
        db_url: ``None`` for the default SQLite file in :func:`cache_dir`, or any SQLAlchemy URL.
            An empty database is filled; one that holds another data set is an error.
        seed: data seed of the population.
        alpha: attribute independence (see :mod:`envs.memory.people`).
        design: the data design (``None``: the default for ``alpha``, see :func:`resolve_design`).

    Raises:
        ValueError: the database at ``db_url`` holds a different data set.
    """
    design = resolve_design(design, alpha)
    name = dataset_name(seed, alpha, design)
    if db_url is None:
        path = cache_dir() / "memory" / f"{name}.sqlite"
        if not path.exists():
            _build_sqlite_file(path, generate_population(seed, alpha, design), name)
        return sqlite_url(path)
    engine = sa.create_engine(db_url)
    try:
        found = _recorded_dataset(engine)
        if found is None:
            if sa.inspect(engine).has_table(TABLE):
                raise ValueError(
                    f"the database at {engine.url.render_as_string(hide_password=True)} already has a "
                    f"'{TABLE}' table not made by toolgym; use an empty database"
                )
            try:
                _fill(engine, generate_population(seed, alpha, design), name)
            except sa.exc.DBAPIError:
                # Another process (a vector env's worker) may have filled it first.
                if _recorded_dataset(engine) != name:
                    raise
        elif found != name:
            raise ValueError(
                f"the database at {engine.url.render_as_string(hide_password=True)} holds data set "
                f"{found!r}, not {name!r}; use another database or the matching seed/alpha/design"
            )
    finally:
        engine.dispose()
    return db_url


def _recorded_dataset(engine: sa.Engine) -> str | None:
    if not sa.inspect(engine).has_table(meta_table.name):
        return None
    with engine.connect() as connection:
        return connection.scalar(sa.select(meta_table.c.value).where(meta_table.c.key == "dataset"))


def _fill(engine: sa.Engine, population: Population, name: str) -> None:
    """Create the tables and insert everyone, in one transaction."""
    with engine.begin() as connection:
        _metadata.create_all(connection)
        rows = [person._asdict() for person in (*population.train, *population.ood)]
        connection.execute(people_table.insert(), rows)
        connection.execute(meta_table.insert(), [{"key": "dataset", "value": name}])


def sqlite_url(path: str | os.PathLike) -> str:
    """The SQLAlchemy URL of a SQLite file, ``%``, ``?`` and ``#`` in the path escaped."""
    return sa.engine.URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)


def _build_sqlite_file(path: Path, population: Population, name: str) -> None:
    """Build into a temporary file, then rename: concurrent builders (vector envs) never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        engine = sa.create_engine(sqlite_url(temporary))
        try:
            _fill(engine, population, name)
        finally:
            engine.dispose()
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
