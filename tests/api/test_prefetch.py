"""Reading ahead: the next page is read while the client digests this one, and paging stays exact."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from api_helpers import Connect, cdr, store_rows
from calldata.api.prefetch import Prefetcher, Reader
from calldata.api.scope import ReadQuery
from calldata.store.reads import Page

pytestmark = pytest.mark.anyio


def query(min_id: int | None, max_rows: int = 3, **kw: object) -> ReadQuery:
    values = {"min_date": None, "max_date": None, "cachedata": False, "queuedata": False} | kw
    return ReadQuery(min_id=min_id, max_rows=max_rows, **values)  # type: ignore[arg-type]


class Table:
    """A fake store of acctids 1..n that records every read."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.reads: list[int] = []
        self.fail = False

    async def read(self, min_id: int, max_rows: int = 3) -> Page:
        self.reads.append(min_id)
        await asyncio.sleep(0)
        if self.fail:
            raise RuntimeError("database went away")
        ids = list(range(max(min_id, 1), self.n + 1))[:max_rows]
        return Page(json.dumps(ids).encode(), len(ids), ids[-1] if ids else None)


async def test_the_next_page_is_read_ahead_and_handed_over_once() -> None:
    table, ahead = Table(7), Prefetcher()
    first = await ahead.page(query(None), None, table.read)
    await asyncio.sleep(0.01)
    assert table.reads == [0, 4]  # the second read started before anyone asked for it
    second = await ahead.page(query(4), None, table.read)
    third = await ahead.page(query(7), None, table.read)
    assert [json.loads(p.values) for p in (first, second, third)] == [[1, 2, 3], [4, 5, 6], [7]]
    assert table.reads == [0, 4, 7, 7]  # full pages read once; the short one read ahead is read again
    await ahead.page(query(8), None, table.read)
    assert table.reads == [0, 4, 7, 7, 8]  # a short page reads nothing ahead


async def test_a_short_page_read_ahead_is_read_again_as_rows_may_have_arrived() -> None:
    """A page read ahead while the store (or a lagging replica) held fewer rows than a page is
    never handed over: the client would take it for the end of the table until its next poll."""
    table, ahead = Table(5), Prefetcher()
    await ahead.page(query(1), None, table.read)
    await asyncio.sleep(0.01)
    assert table.reads == [1, 4]  # [4, 5] read ahead
    table.n = 9  # rows arrive (the replica catches up)
    page = await ahead.page(query(4), None, table.read)
    assert json.loads(page.values) == [4, 5, 6]


async def test_a_different_request_never_gets_the_page_read_ahead() -> None:
    table, ahead = Table(9), Prefetcher()
    await ahead.page(query(1), ["acme"], table.read)
    await ahead.page(query(4), ["globex"], table.read)  # other companies: read afresh
    await ahead.page(query(4, max_rows=2), ["acme"], table.read)  # other maxRows: read afresh
    assert table.reads.count(4) == 3


async def test_stale_or_failed_read_ahead_falls_back_to_a_fresh_read() -> None:
    table, ahead = Table(9), Prefetcher(ttl=0.0)
    await ahead.page(query(1), None, table.read)
    await asyncio.sleep(0.01)
    await ahead.page(query(4), None, table.read)
    await asyncio.sleep(0.01)
    assert table.reads == [1, 4, 4, 7]  # expired: read again (and ahead again)
    failing, ahead = Table(9), Prefetcher()
    await ahead.page(query(1), None, failing.read)
    failing.fail = True
    await asyncio.sleep(0.01)
    failing.fail = False
    page = await ahead.page(query(4), None, failing.read)
    assert json.loads(page.values) == [4, 5, 6]


async def test_paging_sees_every_row_once_while_rows_keep_arriving(connect: Connect, engine: Engine) -> None:
    store_rows(engine, [cdr(i) for i in range(30)])
    seen: list[int] = []
    min_id, arriving = 0, 100
    async with connect() as client:
        while True:
            r = await client.post("/rest/call/read", content=json.dumps({"scope": {"minID": min_id, "maxRows": 10}}))
            values = r.json()["values"]
            if not values:
                break
            seen += [row["acctid"] for row in values]
            min_id = values[-1]["acctid"] + 1
            if arriving < 130:  # new CDRs land while the client pages (and while pages are read ahead)
                store_rows(engine, [cdr(arriving + k, start=datetime.now(UTC)) for k in range(5)])
                arriving += 5
    with engine.connect() as conn:
        stored = [a for (a,) in conn.execute(text("SELECT acctid FROM cdr ORDER BY acctid"))]
    assert len(stored) == 60
    assert seen == stored


async def test_reads_ahead_are_let_finish_on_close_and_cancelled_only_past_the_timeout() -> None:
    finished: list[int] = []

    def slow(seconds: float) -> Reader:
        async def read(min_id: int) -> Page:
            try:
                await asyncio.sleep(seconds)
            except asyncio.CancelledError:
                finished.append(-min_id)
                raise
            finished.append(min_id)
            return Page(b"[]", 0, None)

        return read

    async def fast_then(seconds: float) -> Prefetcher:
        ahead = Prefetcher()
        table = Table(9)

        async def first_fast(min_id: int) -> Page:  # the asked page at once, the one ahead slowly
            return await (table.read(min_id) if min_id == 0 else slow(seconds)(min_id))

        await ahead.page(query(None), None, first_fast)
        return ahead

    ahead = await fast_then(0.05)
    await ahead.close(timeout=5)
    assert finished == [4]  # the read ahead ran to its end
    ahead = await fast_then(10)
    await ahead.close(timeout=0.05)
    await asyncio.sleep(0)
    assert finished == [4, -4]  # past the timeout it was cancelled, not waited for
