"""Every PostgreSQL session calldata opens runs without JIT (store.engine.PG_SESSION); the API's
asyncpg pool runs its statements on generic plans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from calldata.store.asyncpg_pool import AsyncpgPool
from calldata.store.reads import PageQuery, page_statement


def test_sessions_start_without_jit(engine: Engine, store_url: str) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with engine.connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar_one() == "off"


@pytest.mark.anyio
async def test_the_api_pool_starts_without_jit(engine: Engine, store_url: str) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    pool = AsyncpgPool(store_url, settings={"TimeZone": "UTC"})
    await pool.open()
    try:
        rows = await pool.fetch(text("SELECT current_setting('jit') AS jit, current_setting('TimeZone') AS tz"), {})
        assert (rows[0]["jit"], rows[0]["tz"]) == ("off", "UTC")
    finally:
        await pool.close()


PLANS = text(
    "SELECT CAST(coalesce(sum(generic_plans), 0) AS int) AS generic,"
    " CAST(coalesce(sum(custom_plans), 0) AS int) AS custom FROM pg_prepared_statements"
    " WHERE statement LIKE '%json_properties%' AND statement NOT LIKE '%pg_prepared_statements%'"
)


@pytest.mark.anyio
async def test_the_api_pool_plans_each_page_statement_once(engine: Engine, store_url: str) -> None:
    """Pages of a minID, of a date window and of companies run on one generic plan each (planned
    anew for each page, a window's page cost ~15 ms with 24 partitions: bench/RESULTS.md)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    pool = AsyncpgPool(store_url, settings={"TimeZone": "UTC"}, max_size=1)  # one session: its statements
    await pool.open()
    day = datetime(2026, 1, 1, tzinfo=UTC)
    queries = [PageQuery(0, 5), PageQuery(0, 5, day, day + timedelta(days=1)), PageQuery(0, 5, companies=["acme"])]
    try:
        for min_id in range(8):
            for query in queries:
                stmt, params = page_statement("postgresql", query._replace(min_id=min_id), stored=True)  # type: ignore[misc]
                await pool.fetch(stmt, params)
        assert dict((await pool.fetch(PLANS, {}))[0]) == {"generic": 24, "custom": 0}
    finally:
        await pool.close()
