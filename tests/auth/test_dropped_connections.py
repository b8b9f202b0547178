"""A login whose PostgreSQL connection is ended under it still succeeds, and counts exactly once.

The connection is ended for real (`pg_terminate_backend`, waiting until the backend is gone):
once in the middle of the login's transaction, once right after its COMMIT went through but
before its answer came back, which leaves the server not knowing whether it committed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event, func, select

from auth_helpers import PASSWORD
from calldata.auth import audit
from calldata.auth.authenticate import Authenticator, Credentials
from calldata.auth.schema import auth_audit, auth_session
from calldata.store.asyncpg_pool import dsn

pytestmark = pytest.mark.parametrize(
    "store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def end_backend(store_url: str, pid: int) -> None:
    """End backend `pid` as an administrator would, and wait until it has gone."""
    with psycopg.connect(dsn(store_url), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone() == (True,)


def on_session_insert(engine: Engine, then: Callable[[Any], None]) -> None:
    """Call `then(dbapi connection)` after the first INSERT of a session (the login's write)."""
    armed = [True]

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if armed[0] and statement.startswith("INSERT INTO auth_session"):
            armed[0] = False
            then(conn.connection.dbapi_connection)


def sessions_and_logins(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(auth_session)).scalar_one(),
            conn.execute(select(func.count()).where(auth_audit.c.event == audit.LOGIN)).scalar_one(),
        )


def test_a_login_whose_connection_ends_mid_transaction_is_run_again(
    authenticator: Authenticator, add_user: Callable[..., int], engine: Engine, store_url: str
) -> None:
    add_user("ann")
    on_session_insert(engine, lambda dbapi: end_backend(store_url, dbapi.info.backend_pid))
    who = authenticator.login("ann", PASSWORD)
    assert sessions_and_logins(engine) == (1, 1)
    assert authenticator.identify(Credentials(session=who.session)).login == "ann"


def test_a_login_whose_commit_answer_is_lost_is_not_done_twice(
    authenticator: Authenticator, add_user: Callable[..., int], engine: Engine, store_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_user("ann")
    committed = engine.dialect.do_commit
    lose_answer = [False]
    on_session_insert(engine, lambda _dbapi: lose_answer.__setitem__(0, True))

    def commit_then_end(pooled: Any) -> None:
        committed(pooled)
        if lose_answer[0]:
            lose_answer[0] = False
            dbapi = pooled.dbapi_connection
            end_backend(store_url, dbapi.info.backend_pid)
            dbapi.execute("SELECT 1")  # the ended connection's own error, as COMMIT's answer

    monkeypatch.setattr(engine.dialect, "do_commit", commit_then_end)
    who = authenticator.login("ann", PASSWORD)
    assert sessions_and_logins(engine) == (1, 1)  # committed once: not run again
    assert authenticator.identify(Credentials(session=who.session)).login == "ann"
