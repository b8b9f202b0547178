"""Reading a paging client's next page while it is still digesting this one.

A billing client pulls with `minID = last acctid + 1` right after each full page. Reading that
page as soon as the current one is answered overlaps the database's work with the transfer, the
client's decoding and the next request's authentication, instead of doing them one after another.

A prefetched page is handed over only to the identical request (same scope, same visible
companies, the expected minID) within `ttl` seconds, and only when it came back full: its rows
are then the ones a read now returns (writers commit in acctid order, so rows can only be added
after it). A short one is read again: rows may have been stored since, or a lagging replica caught up,
and a client that takes a short page for the end of the table would wait for its next poll.

Pages nobody asks for must not pile up: they are dropped when their `ttl` ends, and the bytes
held are bounded in all (`max_bytes`) and for each identity (`identity_bytes`), the oldest page
making room for a newer one. A read still running counts as large as the page before it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Collection, Hashable
from dataclasses import dataclass

from calldata.api.scope import ReadQuery
from calldata.store.reads import Page

logger = logging.getLogger("calldata.api")

Reader = Callable[[int], Awaitable[Page]]


def _key(query: ReadQuery, min_id: int, companies: Collection[str] | None) -> Hashable:
    visible = None if companies is None else frozenset(companies)
    return (min_id, query.max_rows, query.min_date, query.max_date, query.cachedata, query.queuedata, visible)


def _forget(task: asyncio.Task[Page]) -> None:
    """Collect the outcome of a prefetch nobody awaits (so asyncio does not warn about it)."""
    if not task.cancelled() and task.exception() is not None:
        logger.warning("prefetch failed: %s", task.exception())


@dataclass(eq=False)
class _Ahead:
    """A page read, or being read, ahead: whose it is, the bytes it counts, its expiry timer."""

    owner: Hashable
    task: asyncio.Task[Page]
    size: int
    expiry: asyncio.TimerHandle


class Prefetcher:
    """Pages read ahead, each kept `ttl` seconds, at most `max_bytes` of them in all and
    `identity_bytes` for any one identity (0 turns reading ahead off).

    A read ahead that is not wanted any more (expired, or pushed out by newer ones) is let
    finish and dropped rather than cancelled: a read is a few milliseconds, and cancelling one
    in the middle of opening a connection makes asyncpg report an error nobody can catch.
    """

    def __init__(self, *, ttl: float = 2.0, max_bytes: int = 64 << 20, identity_bytes: int = 16 << 20) -> None:
        self.ttl = ttl
        self.max_bytes = max_bytes
        self.identity_bytes = identity_bytes
        self._ahead: OrderedDict[Hashable, _Ahead] = OrderedDict()  # oldest first
        self._held = 0
        self._owned: Counter[Hashable] = Counter()
        self._running: set[asyncio.Task[Page]] = set()  # the loop keeps only weak references

    @property
    def held_bytes(self) -> int:
        """What the pages read ahead count for: their size, or for a read still running the
        size of the page before it."""
        return self._held

    def __len__(self) -> int:
        return len(self._ahead)

    async def page(
        self, query: ReadQuery, companies: Collection[str] | None, read: Reader, owner: Hashable = None
    ) -> Page:
        """The page `query` asks for: read ahead if it was, else read now; then read the next.

        `owner` is who asks (the identity): the pages read ahead for one owner share its budget."""
        min_id = query.min_id or 0
        page = await self._take(_key(query, min_id, companies))
        if page is None or page.count < query.max_rows:  # a short page could be longer by now
            page = await read(min_id)
        if page.count == query.max_rows and page.last_acctid is not None:
            key = _key(query, page.last_acctid + 1, companies)
            self._start(key, owner, len(page.values), read, page.last_acctid + 1)
        return page

    async def _take(self, key: Hashable) -> Page | None:
        entry = self._drop(key)
        if entry is None:
            return None
        try:
            return await entry.task
        except Exception:  # a failed read-ahead is just a miss; the caller reads again
            return None

    def _start(self, key: Hashable, owner: Hashable, size: int, read: Reader, min_id: int) -> None:
        """Read `min_id` on ahead, counted as `size` bytes (the page before it) until it is read."""
        if key in self._ahead or size > min(self.max_bytes, self.identity_bytes):
            return
        self._make_room(owner, size)
        task = asyncio.ensure_future(read(min_id))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        task.add_done_callback(_forget)
        expiry = asyncio.get_running_loop().call_later(self.ttl, self._expire, key)
        entry = _Ahead(owner, task, 0, expiry)
        self._ahead[key] = entry
        self._resize(entry, size)
        task.add_done_callback(lambda _task: self._settle(key, entry))

    def _settle(self, key: Hashable, entry: _Ahead) -> None:
        """The read ended: count its page's own size (a failed one is dropped), within the bounds."""
        if self._ahead.get(key) is not entry:
            return
        if entry.task.cancelled() or entry.task.exception() is not None:
            self._drop(key)
            return
        self._resize(entry, len(entry.task.result().values))
        self._make_room(entry.owner, 0)

    def _make_room(self, owner: Hashable, size: int) -> None:
        """Drop the oldest pages until `size` more bytes fit `owner`'s budget and the total (the
        pages are looked through only when they do not fit: it runs on every full page)."""
        if self._owned[owner] + size > self.identity_bytes:
            for key in [k for k, e in self._ahead.items() if e.owner == owner]:
                if self._owned[owner] + size <= self.identity_bytes:
                    break
                self._drop(key)
        while self._ahead and self._held + size > self.max_bytes:
            self._drop(next(iter(self._ahead)))

    def _resize(self, entry: _Ahead, size: int) -> None:
        self._held += size - entry.size
        self._owned[entry.owner] += size - entry.size
        entry.size = size

    def _expire(self, key: Hashable) -> None:
        self._drop(key)

    def _drop(self, key: Hashable) -> _Ahead | None:
        """Forget the page read ahead for `key` (a read still running ends on its own)."""
        entry = self._ahead.pop(key, None)
        if entry is not None:
            entry.expiry.cancel()
            self._resize(entry, 0)
            if not self._owned[entry.owner]:
                del self._owned[entry.owner]
        return entry

    async def close(self, timeout: float = 5.0) -> None:
        """Forget the pages read ahead and let the reads still running end (on shutdown, before
        the connections they use are closed); any still running after `timeout` is cancelled."""
        for key in list(self._ahead):
            self._drop(key)
        if self._running:
            _, late = await asyncio.wait(set(self._running), timeout=timeout)
            for task in late:
                task.cancel()
