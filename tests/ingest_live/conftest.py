"""Fixtures for the live-ingestion tests: an Asterisk-shaped CDR table on the real PostgreSQL and
MariaDB servers (a database of its own on each run)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from livesupport import MARIADB_URL, MYSQL_DDL, PG_DDL, PbxTable
from sqlalchemy import create_engine, text

from calldata.store.scratch import scratch_database

# -- the PBX's databases ------------------------------------------------------------------


@pytest.fixture(scope="session")
def pbx_pg_url() -> Iterator[str]:
    """A database of its own on the PostgreSQL server, standing for Asterisk's CDR database."""
    admin = os.environ.get("CALLDATA_TEST_POSTGRES_URL")
    if not admin:
        pytest.skip("CALLDATA_TEST_POSTGRES_URL is not set")
    with scratch_database(admin, "pbx_test") as url:
        yield url


@pytest.fixture(params=["postgresql", "mariadb"])
def pbx_table(request: pytest.FixtureRequest) -> Iterator[PbxTable]:
    """A fresh Asterisk cdr table with a serial key, on PostgreSQL (cdr_pgsql) or MariaDB (adaptive ODBC)."""
    yield from _pbx_table(request, request.param, keyed=True)


def _pbx_table(request: pytest.FixtureRequest, kind: str, *, keyed: bool) -> Iterator[PbxTable]:
    name = f"cdr_{uuid.uuid4().hex[:8]}"
    if kind == "postgresql":
        url = request.getfixturevalue("pbx_pg_url")
        ddl = PG_DDL.format(table=name, key="acctid bigserial PRIMARY KEY," if keyed else "")
    else:
        url = MARIADB_URL
        ddl = MYSQL_DDL.format(table=name, key="id bigint AUTO_INCREMENT PRIMARY KEY," if keyed else "")
    engine = create_engine(url if "+" in url.split("://")[0] else url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.execute(text(ddl))
    except Exception as exc:  # the server is down or refuses us: under CI that is a failure
        message = f"{kind} server for the PBX table: {str(exc).splitlines()[0]}"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    table = PbxTable(url, name, engine)
    try:
        yield table
    finally:
        table.close_writers()
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        engine.dispose()


@pytest.fixture(params=["postgresql", "mariadb"])
def pbx_table_keyless(request: pytest.FixtureRequest) -> Iterator[PbxTable]:
    """The same table without an integrator's serial key."""
    yield from _pbx_table(request, request.param, keyed=False)
