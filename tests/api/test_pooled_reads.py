"""The asyncpg path the API takes on PostgreSQL reads exactly the pages the engine path reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, Text, bindparam, func, literal_column, select

from api_helpers import T0, cdr, set_columns, store_rows
from calldata.store import reads
from calldata.store.asyncpg_pool import AsyncpgPool, dsn
from calldata.store.engine import sync_engine
from calldata.store.reads import PageQuery

pytestmark = pytest.mark.anyio
ON_POSTGRES = pytest.mark.parametrize(
    "store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
ZONE = "Asia/Kolkata"  # an offset off the hour: the time form carries minutes

# minIDs count from the first stored row
QUERIES = {
    "from the start": PageQuery(),
    "from a minID, short page": PageQuery(min_id=7, max_rows=5),
    "cachedata": PageQuery(min_id=3, cachedata=True),
    "date window, first page": PageQuery(min_date=T0 + timedelta(minutes=10), max_date=T0 + timedelta(minutes=20)),
    "date window from a minID": PageQuery(min_id=15, max_rows=3, min_date=T0 + timedelta(minutes=10),
                                          max_date=T0 + timedelta(minutes=40)),
    "two companies": PageQuery(max_rows=4, companies=["globex", "initech"]),
    "no company": PageQuery(companies=[]),
    "past the end": PageQuery(min_id=10_000),
}


@ON_POSTGRES
@pytest.mark.parametrize("name", QUERIES)
async def test_pooled_pages_equal_engine_pages(store_url: str, engine: Engine, name: str) -> None:
    ids = store_rows(engine, [cdr(i) for i in range(40)])
    for n, acctid in enumerate(ids):
        company = ["acme", "globex", "initech", None][n % 4]
        set_columns(engine, acctid, company=company, target="acme" if n % 5 == 0 else "", is_ivr=n % 3 == 0)
    query = QUERIES[name]
    if query.min_id:
        query = query._replace(min_id=ids[0] - 1 + query.min_id)

    reader = sync_engine(store_url)
    reads.prepare(reader, ZONE)
    with reader.connect() as conn:
        expected = reads.read_page(conn, query)
    reader.dispose()
    pool = AsyncpgPool(store_url, settings={"TimeZone": ZONE, "DateStyle": "ISO"})
    await pool.open()
    try:
        pooled = await reads.read_page_pooled(pool, query)
    finally:
        await pool.close()
    assert pooled == expected
    assert name in ("no company", "past the end") or pooled.count > 0


@ON_POSTGRES
async def test_parameters_bind_by_name_and_session_settings_apply(store_url: str) -> None:
    pool = AsyncpgPool(store_url, settings={"TimeZone": ZONE})
    with pytest.raises(RuntimeError, match="lifespan"):
        await pool.fetch(select(literal_column("1")), {})
    await pool.open()
    try:
        b = bindparam("b", type_=Text)
        stmt = select(b + bindparam("a", type_=Text), b, func.current_setting("TimeZone"))
        [row] = await pool.fetch(stmt, {"a": "x", "b": "y"})
    finally:
        await pool.close()
    assert tuple(row) == ("yx", "y", ZONE)


def test_dsn_keeps_credentials_and_options_and_drops_the_driver() -> None:
    assert dsn("postgresql+psycopg://ann:s3cr%40t@db:6432/cdr?sslmode=require") == (
        "postgresql://ann:s3cr%40t@db:6432/cdr?sslmode=require"
    )
