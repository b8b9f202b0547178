"""Shared fixtures: a fresh store on SQLite and on the real PostgreSQL server, and the recorded runs in it.

PostgreSQL tests use the server named by CALLDATA_TEST_POSTGRES_URL; each test session works
in a database of its own that it creates and drops. Under CI (`CI` set) a missing or
unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

import calldata.auth.schema  # noqa: F401  (the auth tables join `metadata`, so stores are emptied)
import calldata.coverage.schema  # noqa: F401  (the stored coverage days too)
import calldata.dashboards.schema  # noqa: F401  (the stored dashboard days too)
import calldata.reports.schema  # noqa: F401  (and the stored report days)
from calldata.store.engine import sync_engine, upgrade
from calldata.store.schema import metadata
from calldata.store.scratch import scratch_database
from postgres_admin import admin_url
from stored_world import load_world


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test session's own on the PostgreSQL server, dropped afterwards."""
    with scratch_database(admin_url(), "calldata_test") as url:
        yield url


@pytest.fixture(scope="session")
def _postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = sync_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _empty_postgres(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated store: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'calldata.sqlite3'}"
        engine = sync_engine(url)
        upgrade(engine)
        engine.dispose()
        return url
    engine = request.getfixturevalue("_postgres_engine")
    _empty_postgres(engine)
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """A sync engine on an empty, migrated store (both databases)."""
    eng = sync_engine(store_url)
    yield eng
    eng.dispose()


@pytest.fixture
def world(engine: Engine) -> Engine:
    """The store with the three recorded runs imported and attributed by the example directory."""
    load_world(engine)
    return engine


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
