"""Short units of work that outlive a dropped database connection: run again on a fresh one.

A PostgreSQL restart, a failover or `pg_terminate_backend` ends connections under a running
server. Work that had not committed left nothing behind, so it is simply run again. A connection
lost during the COMMIT itself leaves the outcome unknown: the server is then asked whether that
transaction committed (`pg_xact_status`), so it is neither lost nor done twice. Only a database
that stays unreachable through every attempt is a `StoreUnavailable` for the caller to answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

T = TypeVar("T")

# Before each attempt: at once, then after growing pauses (a restarting server needs a moment;
# connections ended again and again need a few tries), about 0.9 s in all.
PAUSES = (0.0, 0.05, 0.1, 0.25, 0.5)
UNREACHABLE = "database: unavailable (its connections keep dropping, or it does not answer); try again shortly"
IN_DOUBT = "database: the connection dropped while committing and the outcome is unknown; try again shortly"

# connection exceptions; admin shutdown, crash shutdown, cannot connect now (not 57014, a cancel)
_GONE = ("08", "57P")
_XID = text("SELECT pg_current_xact_id_if_assigned()::text")  # NULL until the transaction writes
_STATUS = text("SELECT pg_xact_status(CAST(:xid AS xid8))")


class StoreUnavailable(Exception):
    """The database could not do the work now; the same request may well succeed a moment later."""


class _Lost(Exception):
    """The connection went away; during the COMMIT of transaction `xid` when that is set, with
    `result` what the work had returned."""

    def __init__(self, cause: DBAPIError, xid: str | None = None, result: Any = None) -> None:
        super().__init__(str(cause))
        self.cause, self.xid, self.result = cause, xid, result


def _pause(seconds: float) -> None:
    if seconds:
        time.sleep(seconds)


def _once(engine: Engine, work: Callable[[Connection], T], *, in_transaction: bool) -> T:
    """One attempt; a lost connection raises _Lost."""
    connecting, xid, result = True, None, None
    try:
        with engine.connect() as conn:
            connecting = False
            try:
                if not in_transaction:
                    return work(conn)
                with conn.begin():
                    result = work(conn)
                    if engine.dialect.name == "postgresql":
                        xid = conn.execute(_XID).scalar()
                return result
            except DBAPIError as exc:
                if _dropped(exc) and not conn.invalidated:
                    conn.invalidate()  # never back into the pool
                raise
    except DBAPIError as exc:
        # a dropped connection, or (while connecting) a server that takes no new ones just now
        if _dropped(exc) or (connecting and isinstance(exc, OperationalError)):
            raise _Lost(exc, xid, result) from exc
        raise


def _dropped(exc: DBAPIError) -> bool:
    """Whether the error means the connection is gone.

    By its SQLSTATE too: an ended backend's "terminating connection" (57P01) can arrive before
    the driver has seen the socket close, and SQLAlchemy then does not call it a disconnect.
    """
    state = getattr(exc.orig, "sqlstate", None) or ""
    return exc.connection_invalidated or state.startswith(_GONE)


def _committed(engine: Engine, xid: str) -> bool:
    """Whether transaction `xid`, whose COMMIT lost its connection, did commit."""
    for pause in PAUSES:
        _pause(pause)
        try:
            status = _once(engine, lambda conn: conn.execute(_STATUS, {"xid": xid}).scalar(), in_transaction=False)
        except _Lost:
            continue
        if status != "in progress":  # an ended backend's transaction is marked aborted as it exits
            return status == "committed"
    raise StoreUnavailable(IN_DOUBT)


def _attempts(engine: Engine, work: Callable[[Connection], T], *, in_transaction: bool) -> T:
    failure: DBAPIError | None = None
    for pause in PAUSES:
        _pause(pause)
        try:
            return _once(engine, work, in_transaction=in_transaction)
        except _Lost as lost:
            if lost.xid is not None and _committed(engine, lost.xid):
                return cast(T, lost.result)
            failure = lost.cause
    raise StoreUnavailable(UNREACHABLE) from failure


def transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    """`work(conn)` in one transaction, committed exactly once however often the connection
    drops (see the module); StoreUnavailable when no attempt could get through."""
    return _attempts(engine, work, in_transaction=True)


def autocommit(engine: Engine, work: Callable[[Connection], T]) -> T:
    """`work(conn)` on a connection of `engine` (in AUTOCOMMIT), run afresh when it drops: for
    work whose statements may run twice (reads, a last-use timestamp)."""
    return _attempts(engine, work, in_transaction=False)
