"""SQLAlchemy Core statements run on an asyncpg pool: the API's per-request path on PostgreSQL.

Every request of a billing client checks its API key and reads a page. Through SQLAlchemy's
async engine each statement also pays a pool checkout, a greenlet hop and psycopg building
every value (about 1 ms of a 500-row page, bench/RESULTS.md). Here the same statements,
compiled once for asyncpg, run on asyncpg's own pool, whose connections prepare each
statement once and decode rows in C.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import asyncpg
from sqlalchemy import ClauseElement, make_url
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.sql.compiler import SQLCompiler

from calldata.store.engine import PG_SESSION
from calldata.store.retry import PAUSES, UNREACHABLE, StoreUnavailable

_DIALECT = PGDialect_asyncpg()


class _Compiled(NamedTuple):
    sql: str  # asyncpg's SQL text, parameters as $1, $2...
    names: tuple[str, ...]  # the parameter behind each $n
    values: dict[str, Any]  # the values the statement itself carries (literals in expressions)


@lru_cache(maxsize=128)
def _compiled(stmt: ClauseElement) -> _Compiled:
    compiled = stmt.compile(dialect=_DIALECT)
    assert isinstance(compiled, SQLCompiler)
    values = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
    return _Compiled(str(compiled), tuple(compiled.positiontup or ()), values)


def dsn(url: str) -> str:
    """A libpq-style URL asyncpg accepts, from a SQLAlchemy one (`postgresql+psycopg://` etc.)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# The connection cannot be used any more: the server ended it (restart, failover,
# pg_terminate_backend) or refused a new one, or asyncpg found it in a state that a connection
# lost mid-statement leaves behind ("cannot switch to state ...", "connection is closed").
_LOST = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
)


def _lost(exc: Exception) -> bool:
    """True for a lost connection; not for asyncpg refusing a value or a setting (ValueError)."""
    return isinstance(exc, _LOST) and not isinstance(exc, ValueError)


# The pool's statements are each run many times a second with other values: a page (minID,
# companies, dates), a key check. In PostgreSQL's default mode each page was planned anew for its
# values, because pruning partitions at plan time makes a custom plan look cheaper than the
# generic one, which prunes them as it starts: ~0.5 ms a page with 5 partitions, ~15 ms for a date
# window's with 24. Each kind of page measured as fast or faster on its generic plan
# (bench/RESULTS.md): a window's page walks acctid whatever its dates (calldata.store.reads).
GENERIC_PLANS = {"plan_cache_mode": "force_generic_plan"}


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Nothing to undo when a connection goes back: `fetch` runs single statements that leave no
    session state, and asyncpg's default reset (RESET ALL etc.) is a round trip per statement."""


class AsyncpgPool:
    """An asyncpg pool opened in the serving event loop (`open`), with `fetch` for Core statements.

    `settings` are PostgreSQL session settings every connection starts with (e.g. TimeZone).
    """

    def __init__(self, url: str, *, settings: Mapping[str, str] | None = None, max_size: int = 10) -> None:
        self.dsn = dsn(url)
        self.settings = dict(settings or {})
        self.max_size = max_size
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self.dsn, min_size=1, max_size=self.max_size,
                server_settings={**PG_SESSION, **GENERIC_PLANS, **self.settings},
                reset=_keep_session
            )

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def fetch(
        self, stmt: ClauseElement, params: Mapping[str, Any]
    ) -> Sequence[asyncpg.Record]:
        """The rows of `stmt` with its bind parameters taken from `params` by name.

        asyncpg keeps each statement prepared on its connection, and the pool's sessions run it
        on one generic plan for any values (GENERIC_PLANS).

        Values go to asyncpg as they are: SQLAlchemy's type processing is skipped, so give
        what asyncpg takes (aware datetimes for timestamptz, lists for arrays). Only for reads:
        a statement whose connection was lost is run again on a fresh connection (a few times,
        `calldata.store.retry.PAUSES`), then StoreUnavailable.
        """
        pool = self._pool
        if pool is None:
            raise RuntimeError("asyncpg pool: not open (the app's lifespan opens it)")
        compiled = _compiled(stmt)
        values = {**compiled.values, **params}
        args = [values[name] for name in compiled.names]
        failure: Exception | None = None
        for pause in PAUSES:
            if pause:
                await asyncio.sleep(pause)
            try:
                async with pool.acquire() as conn:
                    try:
                        return await conn.fetch(compiled.sql, *args)
                    except Exception as exc:
                        if _lost(exc):
                            conn.terminate()  # never back into the pool in whatever state it is in
                        raise
            except Exception as exc:
                if not _lost(exc):
                    raise
                failure = exc
                # A restart drops every pooled connection at once: replace them all, not one by one.
                await pool.expire_connections()
        raise StoreUnavailable(UNREACHABLE) from failure
