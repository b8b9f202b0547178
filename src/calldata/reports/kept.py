"""Day tables kept between reports: a month is tabulated again only on the days a change touched.

A live PBX stores a batch of legs every few seconds; each batch touches today (and its calls'
days), so this month's report is made again from one day's legs and 29 kept days, and last month's
is answered as it was (reports.changes says what a batch touched). Shared by the API and the
console; used from the worker threads reports are tabulated in, hence the lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import NamedTuple

import msgspec
from sqlalchemy import Connection

from calldata.reports import changes, days
from calldata.reports.changes import Mark
from calldata.reports.days import Day, Table

MAX_BYTES = 128 * 1024 * 1024  # a 100-extension company's day is ~80 KB encoded
MAX_CHANGES = 64  # changes between two marks remembered: a view checks its month, then its days, with one


class Held(NamedTuple):
    """A day's table as read at `mark`, from the legs of [since, until) (epoch seconds)."""

    mark: Mark
    since: int
    until: int
    body: bytes


class KeptDays:
    """Day tables by (report part, day), least recently used dropped beyond `max_bytes`; `built`
    counts the days tabulated."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.built = 0
        self._held: OrderedDict[Hashable, Held] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._changes: OrderedDict[tuple[Mark, Mark], list[tuple[int, int]] | None] = OrderedDict()

    def touched(self, conn: Connection, since: Mark, now: Mark) -> list[tuple[int, int]] | None:
        """reports.changes.touched, remembered: the month's check and its days' ask the same."""
        key = (since, now)
        with self._lock:
            if key in self._changes:
                return self._changes[key]
        found = changes.touched(conn, since, now)
        with self._lock:
            self._changes[key] = found
            while len(self._changes) > MAX_CHANGES:
                self._changes.popitem(last=False)
        return found

    def untouched(self, conn: Connection, since: Mark, now: Mark, spans: Sequence[tuple[int, int]]) -> bool:
        """No change between the marks touched a leg started in one of `spans` (epoch seconds)."""
        return changes.misses(self.touched(conn, since, now), spans)

    def tables(self, conn: Connection, part: Hashable, wanted: Sequence[Day],
               build: Callable[[Sequence[Day]], list[tuple[Table, int, int]]]) -> list[Table]:
        """The tables of `wanted` days (in time order) of one report part (its kind, company, names
        and directory): kept ones still true at the store's mark now, the others built (`build`:
        for a run of consecutive days, each one's table and the span of legs it read) and kept."""
        now = changes.current(conn)  # before any leg is read: a day kept under it is never older
        found: dict[Day, Table] = {}
        missing = []
        for day in wanted:
            key = (part, day)
            with self._lock:
                held = self._held.get(key)
                if held is not None:
                    self._held.move_to_end(key)
            if held is not None and held.mark != now:
                touched = self.touched(conn, held.mark, now)
                if touched is None or changes.overlaps(touched, held.since, held.until):
                    held = None
                else:
                    self._keep(key, held._replace(mark=now))
            if held is None:
                missing.append(day)
            else:
                found[day] = msgspec.json.decode(held.body)
        for run in days.runs(missing):
            for day, (table, since, until) in zip(run, build(run)):
                self._keep((part, day), Held(now, since, until, msgspec.json.encode(table)), built=True)
                found[day] = table
        return [found[day] for day in wanted]

    def _keep(self, key: Hashable, held: Held, built: bool = False) -> None:
        with self._lock:
            self.built += built
            old = self._held.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            if len(held.body) > self.max_bytes:
                return
            self._held[key] = held
            self._bytes += len(held.body)
            while self._bytes > self.max_bytes:
                _, dropped = self._held.popitem(last=False)
                self._bytes -= len(dropped.body)

    @property
    def size(self) -> tuple[int, int]:
        """(days, bytes) held."""
        with self._lock:
            return len(self._held), self._bytes
