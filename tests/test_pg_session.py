"""Every PostgreSQL session calldata opens runs without JIT (store.engine.PG_SESSION)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from calldata.store.asyncpg_pool import AsyncpgPool


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
