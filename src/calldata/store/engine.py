"""Engines for a database URL, and bringing its schema up to date with Alembic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).with_name("migrations")

_SYNC_DRIVERS = {"postgresql": "postgresql+psycopg", "sqlite": "sqlite"}
_ASYNC_DRIVERS = {"postgresql": "postgresql+psycopg", "sqlite": "sqlite+aiosqlite"}


def _with_driver(url: str, drivers: dict[str, str]) -> str:
    """`postgresql://...` -> `postgresql+psycopg://...`; an explicit driver is kept."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"database URL: not a URL: {url!r}")
    base = scheme.split("+", 1)[0]
    if base == "postgres":
        base = "postgresql"
    if base not in drivers:
        raise ValueError(f"database URL: unsupported database {base!r} (use postgresql or sqlite)")
    return f"{scheme if '+' in scheme else drivers[base]}://{rest}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the API read while an import writes; a busy timeout instead of instant errors."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _options(url: str, options: dict[str, Any]) -> dict[str, Any]:
    """On PostgreSQL, a pooled connection is checked before use: after a server restart the
    pool is full of dead connections, and the first request on each would fail."""
    if url.startswith("postgresql"):
        return {"pool_pre_ping": True, **options}
    return options


def sync_engine(url: str) -> Engine:
    url = _with_driver(url, _SYNC_DRIVERS)
    engine = create_engine(url, **_options(url, {}))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def async_engine(url: str, **options: Any) -> AsyncEngine:
    """`options` go to create_async_engine (e.g. isolation_level="AUTOCOMMIT")."""
    url = _with_driver(url, _ASYNC_DRIVERS)
    engine = create_async_engine(url, **_options(url, options))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every pending migration (idempotent; run on every start)."""
    command.upgrade(alembic_config(engine), "head")
