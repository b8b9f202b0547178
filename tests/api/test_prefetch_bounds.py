"""Read-ahead is bounded: bytes in all and per identity, and pages nobody takes expire.

A sequential pull still gets each next page from read-ahead within those bounds.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import Engine, event

from api_helpers import cdr, serving, store_rows
from calldata.api.app import create_app
from calldata.api.prefetch import Prefetcher
from calldata.config import Settings
from calldata.store.reads import Page
from test_prefetch import query

pytestmark = pytest.mark.anyio
PAGE = 1000  # bytes of every page the fake store returns


async def read(min_id: int) -> Page:
    """A full page of 3 rows from `min_id` on, of PAGE bytes."""
    await asyncio.sleep(0)
    return Page(b"x" * PAGE, 3, min_id + 2)


async def settled() -> None:
    """Let the reads ahead that were started finish."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_distinct_requests_never_hold_more_than_the_budget() -> None:
    ahead = Prefetcher(max_bytes=10 * PAGE, identity_bytes=4 * PAGE)
    most = 0
    for i in range(200):
        await ahead.page(query(i * 10), None, read, owner=f"user{i % 7}")
        most = max(most, ahead.held_bytes)
        await settled()
        most = max(most, ahead.held_bytes)
        assert len(ahead) * PAGE == ahead.held_bytes  # every page held is counted, at its size
    assert most == 10 * PAGE  # filled up to the budget, never past it


async def test_one_identity_cannot_push_out_the_pages_of_others() -> None:
    ahead = Prefetcher(max_bytes=10 * PAGE, identity_bytes=4 * PAGE)
    await ahead.page(query(1), None, read, owner="billing")
    for i in range(100):
        await ahead.page(query(1000 + i * 10), None, read, owner="flood")
        await settled()
    assert ahead.held_bytes == 5 * PAGE  # 4 pages of the flood, 1 of billing
    reads: list[int] = []

    async def counted(min_id: int) -> Page:
        reads.append(min_id)
        return await read(min_id)

    await ahead.page(query(4), None, counted, owner="billing")
    await settled()
    assert reads == [7]  # page 4 was still held (only the one after it was read)


async def test_pages_nobody_takes_expire() -> None:
    ahead = Prefetcher(ttl=0.05, max_bytes=100 * PAGE, identity_bytes=100 * PAGE)
    for i in range(20):
        await ahead.page(query(i * 10), None, read)
    await settled()
    assert (len(ahead), ahead.held_bytes) == (20, 20 * PAGE)
    await asyncio.sleep(0.3)
    assert (len(ahead), ahead.held_bytes) == (0, 0)


async def test_a_page_larger_than_the_budget_is_not_read_ahead() -> None:
    ahead = Prefetcher(max_bytes=PAGE // 2)
    reads: list[int] = []

    async def counted(min_id: int) -> Page:
        reads.append(min_id)
        return await read(min_id)

    await ahead.page(query(1), None, counted)
    await settled()
    assert (reads, len(ahead), ahead.held_bytes) == ([1], 0, 0)


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)  # page reads counted on the engine
async def test_a_sequential_pull_gets_each_next_page_from_read_ahead(
    store_url: str, engine: Engine, billing_key: str
) -> None:
    ids = store_rows(engine, [cdr(i) for i in range(50)])
    app = create_app(Settings(database_url=store_url, prefetch_max_bytes=30_000,
                              prefetch_max_bytes_per_identity=12_000))
    reads: list[str] = []
    event.listen(app.state.engine.sync_engine, "before_cursor_execute",
                 lambda *args: reads.append(args[2]) if "FROM cdr" in args[2] else None)
    async with serving(app, billing_key) as client:
        seen: list[int] = []
        min_id = 0
        while True:
            r = await client.post("/rest/call/read", content=json.dumps({"scope": {"minID": min_id, "maxRows": 10}}))
            assert len(r.content) < 12_000  # a page fits the identity's budget
            values = r.json()["values"]
            if not values:
                break
            seen += [row["acctid"] for row in values]
            min_id = values[-1]["acctid"] + 1
    assert seen == ids
    assert len(reads) == 7  # 5 full pages read once, all but the first ahead; the empty one ahead and again
