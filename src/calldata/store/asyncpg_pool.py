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


# The pool's statements are each run many times a second with other values: a minID page, a
# company's page, a key check. In PostgreSQL's default mode each minID page was planned anew
# for its values (a custom plan, ~0.5 ms with 5 partitions, more as partitions are added), because
# pruning partitions at plan time makes a custom plan look cheaper than the generic one, which
# prunes them as it starts. One generic plan each is what these statements want; a date window
# asks for its own plan (`custom_plan`).
GENERIC_PLANS = {"plan_cache_mode": "force_generic_plan"}
# One round trip before a statement planned for its values: the setting lasts until its COMMIT.
_CUSTOM = "BEGIN READ ONLY; SET LOCAL plan_cache_mode = force_custom_plan"


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Little to undo when a connection goes back: `fetch` runs single statements that leave no
    session state (asyncpg's default reset, RESET ALL etc., is a round trip per statement); only
    a custom plan's transaction that an error or a cancellation left open is rolled back."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


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
        self, stmt: ClauseElement, params: Mapping[str, Any], *, custom_plan: bool = False
    ) -> Sequence[asyncpg.Record]:
        """The rows of `stmt` with its bind parameters taken from `params` by name.

        asyncpg keeps each statement prepared on its connection, and the pool's sessions run it
        with one generic plan for any values (GENERIC_PLANS). With `custom_plan` it is planned
        for these values (one more round trip): a date window's generic plan once read the whole
        window through the calldate index (bench/RESULTS.md).

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
                        if custom_plan:
                            return await _fetch_custom(conn, compiled.sql, args)
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


async def _fetch_custom(conn: asyncpg.Connection, sql: str, args: list[Any]) -> Sequence[asyncpg.Record]:
    """`sql`'s rows from a plan made for `args` (a transaction left open by an error or a
    cancellation is rolled back as the connection goes back: `_keep_session`)."""
    await conn.execute(_CUSTOM)
    rows = await conn.fetch(sql, *args)
    await conn.execute("COMMIT")
    return rows
