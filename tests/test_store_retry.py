"""store.retry on the real PostgreSQL: which errors mean "the connection is gone, run it again"."""

from __future__ import annotations

import psycopg.errors
import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from calldata.store.retry import transaction

pytestmark = pytest.mark.parametrize(
    "store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def failing_once(error: Exception, backends: list[int]):
    """Work that notes its backend, then raises `error` the first time (as SQLAlchemy would wrap it)."""

    def work(conn: Connection) -> int:
        backends.append(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        if len(backends) == 1:
            raise OperationalError("SELECT 1", {}, error)
        return backends[-1]

    return work


def test_a_terminating_connection_error_is_run_again_on_another_connection(engine: Engine) -> None:
    # the driver has read the server's FATAL but not yet the socket's close: not flagged invalidated
    backends: list[int] = []
    answer = transaction(engine, failing_once(
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"), backends))
    assert len(backends) == 2 and answer == backends[1]
    assert backends[0] != backends[1]  # the first connection was dropped, not put back in the pool


def test_a_cancelled_statement_is_not_run_again(engine: Engine) -> None:
    backends: list[int] = []
    with pytest.raises(OperationalError):
        transaction(engine, failing_once(psycopg.errors.QueryCanceled("canceling statement"), backends))
    assert len(backends) == 1
