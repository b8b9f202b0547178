"""Encoded reports shared between requests: identical ones in flight share one build, and a
finished one is answered again while the store has not changed what it read (docs/api.md, Call
reports): at the same mark, or at a later one its `unchanged` check accepts (reports.changes)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

MAX_ENTRIES = 64
MAX_BYTES = 64 * 1024 * 1024  # a 100-extension company's month is 2-2.5 MB


class ReportCache:
    """Bodies by key (a checked report), each with the mark it was read at, least recently used
    dropped first beyond `max_entries` or `max_bytes`; `builds` counts the builds started. A body
    is encoded bytes, or any value when `size` tells the bytes it takes (the console keeps a
    report's values as they are, not to decode them at every view)."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES,
                 size: Callable[[Any], int] = len) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size_of = size
        self.builds = 0
        self._done: OrderedDict[Hashable, tuple[Any, Any, int]] = OrderedDict()  # key -> (mark, body, size)
        self._bytes = 0
        self._running: dict[tuple[Hashable, Any], asyncio.Task[Any]] = {}

    @property
    def size(self) -> tuple[int, int]:
        """(entries, bytes) held."""
        return len(self._done), self._bytes

    async def get(self, key: Hashable, mark: Any, build: Callable[[], Awaitable[Any]],
                  unchanged: Callable[[Any], Awaitable[bool]] | None = None) -> Any:
        """The body for `key` at the store's `mark`: held (read at `mark`, or at an earlier mark
        `unchanged` says nothing it read has changed since), or being built at `mark` (awaited with
        the others asking), or built now.

        The build runs as a task of its own, so a client that goes away cancels only its wait.
        """
        held = self._done.get(key)
        if held is not None and (held[0] == mark or (unchanged is not None and await unchanged(held[0]))):
            if key in self._done:
                self._done[key] = (mark, *held[1:])
                self._done.move_to_end(key)
            return held[1]
        flight = (key, mark)
        task = self._running.get(flight)
        if task is None:
            self.builds += 1
            task = self._running[flight] = asyncio.ensure_future(build())
            task.add_done_callback(lambda done: self._finished(flight, done))
        return await asyncio.shield(task)

    def _finished(self, flight: tuple[Hashable, Any], task: asyncio.Task[Any]) -> None:
        """Keep a successful body; a failure is raised to those waiting and not kept."""
        del self._running[flight]
        if task.cancelled() or task.exception() is not None:
            return
        body = task.result()
        size = self.size_of(body)
        if size > self.max_bytes:
            return
        key, mark = flight
        old = self._done.pop(key, None)
        if old is not None:
            self._bytes -= old[2]
        self._done[key] = (mark, body, size)
        self._bytes += size
        while len(self._done) > self.max_entries or self._bytes > self.max_bytes:
            _, (_, _, dropped) = self._done.popitem(last=False)
            self._bytes -= dropped
