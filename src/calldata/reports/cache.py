"""Encoded reports shared between requests: identical ones in flight share one build, and a
finished one is answered again until the store's generation changes (docs/api.md, Call reports)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

MAX_ENTRIES = 64
MAX_BYTES = 64 * 1024 * 1024  # a 100-extension company's month is 2-2.5 MB


class ReportCache:
    """Bodies by key (a checked report and the store generation it was read at), least recently
    used dropped first beyond `max_entries` or `max_bytes`; `builds` counts the builds started."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.builds = 0
        self._done: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._running: dict[Hashable, asyncio.Task[bytes]] = {}

    @property
    def size(self) -> tuple[int, int]:
        """(entries, bytes) held."""
        return len(self._done), self._bytes

    async def get(self, key: Hashable, build: Callable[[], Awaitable[bytes]]) -> bytes:
        """The body for `key`: held, or being built (awaited with the others asking), or built now.

        The build runs as a task of its own, so a client that goes away cancels only its wait.
        """
        found = self._done.get(key)
        if found is not None:
            self._done.move_to_end(key)
            return found
        task = self._running.get(key)
        if task is None:
            self.builds += 1
            task = self._running[key] = asyncio.ensure_future(build())
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    def _finished(self, key: Hashable, task: asyncio.Task[bytes]) -> None:
        """Keep a successful body; a failure is raised to those waiting and not kept."""
        del self._running[key]
        if task.cancelled() or task.exception() is not None:
            return
        body = task.result()
        if len(body) > self.max_bytes:
            return
        self._done[key] = body
        self._bytes += len(body)
        while len(self._done) > self.max_entries or self._bytes > self.max_bytes:
            _, dropped = self._done.popitem(last=False)
            self._bytes -= len(dropped)
