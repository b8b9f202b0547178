"""Reading a paging client's next page while it is still digesting this one.

A billing client pulls with `minID = last acctid + 1` right after each full page. Reading that
page as soon as the current one is answered overlaps the database's work with the transfer, the
client's decoding and the next request's authentication, instead of doing them one after another.

A prefetched page is handed over only to the identical request (same scope, same visible
companies, the expected minID) within `ttl` seconds; it is exactly what a read at that earlier
moment returned, so the paging guarantee holds (writers commit in acctid order: a later read
could only add rows after the page, which the client's next call picks up).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Hashable

from calldata.api.scope import ReadQuery
from calldata.store.reads import Page

logger = logging.getLogger("calldata.api")

Reader = Callable[[int], Awaitable[Page]]


def _key(query: ReadQuery, min_id: int, companies: Collection[str] | None) -> Hashable:
    visible = None if companies is None else frozenset(companies)
    return (min_id, query.max_rows, query.min_date, query.max_date, query.cachedata, visible)


def _forget(task: asyncio.Task[Page]) -> None:
    """Collect the outcome of a prefetch nobody awaits (so asyncio does not warn about it)."""
    if not task.cancelled() and task.exception() is not None:
        logger.warning("prefetch failed: %s", task.exception())


class Prefetcher:
    """At most `size` pages read ahead, each kept `ttl` seconds.

    A read ahead that is not wanted any more (expired, or pushed out by newer ones) is let
    finish and dropped rather than cancelled: a read is a few milliseconds, and cancelling one
    in the middle of opening a connection makes asyncpg report an error nobody can catch.
    """

    def __init__(self, *, ttl: float = 2.0, size: int = 64) -> None:
        self.ttl = ttl
        self.size = size
        self._ahead: OrderedDict[Hashable, tuple[float, asyncio.Task[Page]]] = OrderedDict()
        self._running: set[asyncio.Task[Page]] = set()  # the loop keeps only weak references

    async def page(
        self, query: ReadQuery, companies: Collection[str] | None, read: Reader
    ) -> Page:
        """The page `query` asks for: read ahead if it was, else read now; then read the next."""
        min_id = query.min_id or 0
        page = await self._take(_key(query, min_id, companies))
        if page is None:
            page = await read(min_id)
        if page.count == query.max_rows and page.last_acctid is not None:
            self._start(_key(query, page.last_acctid + 1, companies), read, page.last_acctid + 1)
        return page

    async def _take(self, key: Hashable) -> Page | None:
        entry = self._ahead.pop(key, None)
        if entry is None:
            return None
        started, task = entry
        if time.monotonic() - started > self.ttl:
            return None
        try:
            return await task
        except Exception:  # a failed read-ahead is just a miss; the caller reads again
            return None

    def _start(self, key: Hashable, read: Reader, min_id: int) -> None:
        if key in self._ahead:
            return
        while len(self._ahead) >= self.size:
            self._ahead.popitem(last=False)
        task = asyncio.ensure_future(read(min_id))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        task.add_done_callback(_forget)
        self._ahead[key] = (time.monotonic(), task)

    async def close(self, timeout: float = 5.0) -> None:
        """Forget the pages read ahead and let the reads still running end (on shutdown, before
        the connections they use are closed); any still running after `timeout` is cancelled."""
        self._ahead.clear()
        if self._running:
            _, late = await asyncio.wait(set(self._running), timeout=timeout)
            for task in late:
                task.cancel()
