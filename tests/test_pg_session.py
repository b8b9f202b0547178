"""Every PostgreSQL session calldata opens runs without JIT (store.engine.PG_SESSION); the API's
asyncpg pool runs its statements on generic plans, a date window on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
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
SETTING = text("SELECT current_setting('plan_cache_mode') AS mode")


@pytest.mark.anyio
async def test_the_api_pool_plans_a_page_once_and_a_window_for_its_dates(engine: Engine, store_url: str) -> None:
    """A minID page runs on one generic plan (planned anew each time it had cost ~0.5 ms with a few
    partitions, bench/RESULTS.md); a window's page is planned for its dates, and the transaction
    that asks for that ends with it, also when the statement fails."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    pool = AsyncpgPool(store_url, settings={"TimeZone": "UTC"}, max_size=1)  # one session: its statements
    await pool.open()
    try:
        for min_id in range(8):
            stmt, params = page_statement("postgresql", PageQuery(min_id, 5), stored=True)  # type: ignore[misc]
            await pool.fetch(stmt, params)
        assert dict((await pool.fetch(PLANS, {}))[0]) == {"generic": 8, "custom": 0}

        day = datetime(2026, 1, 1, tzinfo=UTC)
        for min_id in range(3):
            stmt, params = page_statement(  # type: ignore[misc]
                "postgresql", PageQuery(min_id, 5, day, day + timedelta(days=1)), stored=True)
            await pool.fetch(stmt, params, custom_plan=True)
        assert dict((await pool.fetch(PLANS, {}))[0]) == {"generic": 8, "custom": 3}
        assert (await pool.fetch(SETTING, {}))[0]["mode"] == "force_generic_plan"

        with pytest.raises(asyncpg.DivisionByZeroError):
            await pool.fetch(text("SELECT 1 / (:n - 1) AS boom"), {"n": 1}, custom_plan=True)
        assert (await pool.fetch(SETTING, {}))[0]["mode"] == "force_generic_plan"  # rolled back
    finally:
        await pool.close()
