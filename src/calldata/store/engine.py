"""Engines for a database URL, and bringing its schema up to date with Alembic."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Dialect, Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from calldata.store.errors import StoreError as StoreError, StoreUnreachable as StoreUnreachable  # still importable from here

MIGRATIONS = Path(__file__).with_name("migrations")
T = TypeVar("T")

_SYNC_DRIVERS = {"postgresql": "postgresql+psycopg", "sqlite": "sqlite"}
_ASYNC_DRIVERS = {"postgresql": "postgresql+psycopg", "sqlite": "sqlite+aiosqlite"}


def shown(url: str) -> str:
    """The URL for messages and logs: its password (everything up to the last @) hidden."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    user, colon, after = rest.partition(":")
    if colon and "@" in after and not set("@/") & set(user):
        rest = f"{user}:***@{after.rpartition('@')[2]}"
    return scheme + sep + rest


def _with_driver(url: str, drivers: dict[str, str]) -> str:
    """`postgresql://...` -> `postgresql+psycopg://...`; an explicit driver is kept."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise StoreError(repr(shown(url)), "not a database URL (give postgresql://user:password@host/database"
                         " or sqlite:///path/to/file)")
    base = scheme.split("+", 1)[0]
    if base == "postgres":
        base = "postgresql"
    if base not in drivers:
        raise StoreError(shown(url), f"unsupported database {base!r} (use postgresql or sqlite)")
    return f"{scheme if '+' in scheme else drivers[base]}://{rest}"


def _created(url: str, make: Callable[..., Any], options: dict[str, Any]) -> Any:
    """`make(url)` with a URL SQLAlchemy cannot parse (a bad port, an unknown driver) a StoreError."""
    try:
        return make(url, **_options(url, options))
    except (ArgumentError, ValueError) as exc:
        raise StoreError(shown(url), str(exc)) from None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the API read while an import writes; a busy timeout instead of instant errors."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# Every PostgreSQL session calldata opens. No JIT: its queries are index-driven and short, and
# compiling one (~20 ms) cost more than running it whenever the planner's estimate crossed
# jit_above_cost (a report's query did: bench/RESULTS.md, Call reports with rating on).
PG_SESSION = {"jit": "off"}


def _options(url: str, options: dict[str, Any]) -> dict[str, Any]:
    """On PostgreSQL, a pooled connection is checked before use (after a server restart the
    pool is full of dead connections, and the first request on each would fail), and starts
    with PG_SESSION."""
    if url.startswith("postgresql"):
        session = " ".join(f"-c {name}={value}" for name, value in PG_SESSION.items())
        return {"pool_pre_ping": True, "connect_args": {"options": session}, **options}
    return options


def sync_engine(url: str) -> Engine:
    engine: Engine = _created(_with_driver(url, _SYNC_DRIVERS), create_engine, {})
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def async_engine(url: str, **options: Any) -> AsyncEngine:
    """`options` go to create_async_engine (e.g. isolation_level="AUTOCOMMIT")."""
    engine: AsyncEngine = _created(_with_driver(url, _ASYNC_DRIVERS), create_async_engine, options)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _snapshot_level(dialect: Dialect) -> str:
    """The isolation of one snapshot for every statement: PostgreSQL's REPEATABLE READ; SQLite's
    read transaction is one already."""
    return "REPEATABLE READ" if dialect.name == "postgresql" else dialect.default_isolation_level


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction whose statements all see one state of the store."""
    with engine.connect() as conn:
        conn.execution_options(isolation_level=_snapshot_level(conn.dialect))
        with conn.begin():
            yield conn


async def in_snapshot(engine: AsyncEngine, work: Callable[[Connection], T]) -> T:
    """`work` in one transaction on an autocommitting engine: one snapshot for all its statements
    (`snapshot`), and the server-side cursor a streamed read needs (PostgreSQL opens one only in a
    transaction)."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level=_snapshot_level(conn.dialect))
        async with conn.begin():
            return await conn.run_sync(work)


async def in_transaction(engine: AsyncEngine, work: Callable[[Connection], T]) -> T:
    """`work` in one transaction of the dialect's default isolation (PostgreSQL: READ COMMITTED, each
    statement sees what committed before it) on an autocommitting engine: for work that takes a lock
    and then writes what it finds missing."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level=conn.dialect.default_isolation_level)
        async with conn.begin():
            return await conn.run_sync(work)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every pending migration (idempotent; run on every start, so the first contact with
    the store: a failure to reach it is a StoreError naming the store, not a traceback)."""
    try:
        command.upgrade(alembic_config(engine), "head")
    except OperationalError as exc:
        raise _unusable(engine, exc) from None


def check_reachable(url: str) -> None:
    """Connect to `url` once (a read replica's, at start): a StoreError in one line if it cannot be reached."""
    engine = sync_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except OperationalError as exc:
        raise _unusable(engine, exc) from None
    finally:
        engine.dispose()


def _unusable(engine: Engine, exc: OperationalError) -> StoreError:
    """What stops `engine`'s store, in one line; a SQLite file's missing folder said as such."""
    url = engine.url.render_as_string(hide_password=True)
    if engine.dialect.name == "sqlite":
        folder = Path(engine.url.database or "").parent
        if engine.url.database and not folder.is_dir():
            return StoreError(url, f"the folder {folder} does not exist")
        return StoreError(url, str(exc.orig))
    problem = " ".join(str(exc.orig or exc).split("\n", 1)[0].split())
    return StoreUnreachable(url, problem)
