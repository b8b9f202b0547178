"""Day tables kept between reports: a month is tabulated again only on the days a change touched.

A live PBX stores a batch of legs every few seconds; each batch touches today (and its calls'
days), so this month's report is made again from one day's legs and 29 kept days, and last month's
is answered as it was (reports.changes says what a batch touched). Shared by the API and the
console; used from the worker threads reports are tabulated in, hence the lock.

Held in memory as tables (not encoded: a view of kept days decodes nothing), and, with `stored`,
in the store too (reports.stored): a server process that never tabulated a day reads it there,
under the same rule, so the first view of a month after a restart tabulates only what changed.
What a view built or found still true is written back by `save` (on the primary, after the
view's snapshot: a day is never written inside the snapshot it was read in).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, date, datetime
from typing import NamedTuple

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from calldata import collector
from calldata.reports import changes, days, stored
from calldata.reports.changes import Mark
from calldata.reports.days import Day, Table

MAX_BYTES = 256 * 1024 * 1024  # about, in memory: a 100-extension company's day is ~250 KB as objects
DECODED = 4  # a table as Python objects takes about 4 times its msgpack bytes (measured: 393 KB for 96 KB)
MAX_CHANGES = 64  # changes between two marks remembered: a view checks its month, then its days, with one
log = logging.getLogger(__name__)


class Part(NamedTuple):
    """What a day's table is of: a report's kind, company, names (none: the whole company) and
    directory version (id, sha256)."""

    kind: str
    company: str
    names: tuple[str, ...]
    directory: tuple[int, str]


class Held(NamedTuple):
    """A day's table as read at `mark`, from the legs of [since, until) (epoch seconds); its stored
    row holds the mark `saved` and was last used on `used` (None: not stored)."""

    mark: Mark
    since: int
    until: int
    table: Table
    size: int
    saved: Mark | None = None
    used: date | None = None


class KeptDays:
    """Day tables by (report part, day), least recently used dropped beyond `max_bytes`; `built`
    counts the days tabulated, `loaded` those read from the store (with `stored`)."""

    def __init__(self, max_bytes: int = MAX_BYTES, stored: bool = False) -> None:
        self.max_bytes = max_bytes
        self.stored = stored
        self.built = 0
        self.loaded = 0
        self._held: OrderedDict[Hashable, Held] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._changes: OrderedDict[tuple[Mark, Mark], list[tuple[int, int]] | None] = OrderedDict()
        self._writes: dict[tuple[str, Day], stored.Row] = {}

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

    def _still(self, conn: Connection, mark: Mark, now: Mark, since: int, until: int) -> bool:
        """A table read at `mark` from the legs of [since, until) is still true at `now`."""
        if mark == now:
            return True
        touched = self.touched(conn, mark, now)
        return touched is not None and not changes.overlaps(touched, since, until)

    def tables(self, conn: Connection, part: Part, wanted: Sequence[Day],
               build: Callable[[Sequence[Day]], list[tuple[Table, int, int]]]) -> list[Table]:
        """The tables of `wanted` days (in time order) of one report part: kept ones still true at
        the store's mark now, then (with `stored`) stored ones still true, the others built (`build`:
        for a run of consecutive days, each one's table and the span of legs it read) and kept."""
        now = changes.current(conn)  # before any leg is read: a day kept under it is never older
        today = datetime.now(UTC).date()
        name = stored.key_of(part) if self.stored else ""
        found: dict[Day, Table] = {}
        missing = []
        for day in wanted:
            key = (part, day)
            with self._lock:
                held = self._held.get(key)
                if held is not None:
                    self._held.move_to_end(key)
            if held is not None and not self._still(conn, held.mark, now, held.since, held.until):
                held = None
            elif held is not None and (renewed := self._renewed(name, part, day, held, now, today)) is not held:
                self._keep(key, held := renewed)
            if held is None:
                missing.append(day)
            else:
                found[day] = held.table
        if self.stored and missing:
            still = {day: row for day, row in stored.read(conn, name, missing).items()
                     if self._still(conn, row.mark, now, row.since, row.until)}
            with collector.paused():  # a month's ~15,000 calls as dicts: no cycles, no collector passes
                decoded = {day: stored.decode(row.body) for day, row in still.items()}
            for day, row in still.items():
                table, packed = decoded[day]
                held = Held(row.mark, row.since, row.until, table, DECODED * packed, row.mark, row.used)
                self._keep((part, day), self._renewed(name, part, day, held, now, today), loaded=True)
                found[day] = table
            missing = [day for day in missing if day not in found]
        for run in days.runs(missing):
            for day, (table, since, until) in zip(run, build(run)):
                body, packed = stored.encode(table)
                held = Held(now, since, until, table, DECODED * packed)
                if self.stored:
                    self._write(stored.Row(name, part.directory[0], day, now, since, until, body, today))
                    held = held._replace(saved=now, used=today)
                self._keep((part, day), held, built=True)
                found[day] = table
        return [found[day] for day in wanted]

    def _renewed(self, name: str, part: Part, day: Day, held: Held, now: Mark, today: date) -> Held:
        """`held`, found still true at `now`, as held from now on (itself when nothing changes); its
        stored row renewed (the mark, the date used) unless it holds both already, so the next
        server process to read it checks only the changes since this view."""
        if held.saved is None or (held.saved == now and held.used == today):
            return held if held.mark == now else held._replace(mark=now)
        self._write(stored.Row(name, part.directory[0], day, now, held.since, held.until, None, today, held.saved))
        return held._replace(mark=now, saved=now, used=today)

    def _write(self, row: stored.Row) -> None:
        """Note `row` for `save`: a renewal of a day still waiting to be written renews what waits."""
        key = (row.part, row.day)
        with self._lock:
            waiting = self._writes.get(key)
            if row.body is None and waiting is not None and waiting.body is not None:
                row = waiting._replace(mark=row.mark, used=row.used)
            self._writes[key] = row

    def save(self, conn: Connection) -> int:
        """Write the days built or renewed since (reports.stored.statements, each in a transaction
        of its own) on `conn` (the primary's): how many. A store that refuses is logged, not raised:
        the days are written again when next built."""
        with self._lock:
            rows, self._writes = list(self._writes.values()), {}
        try:
            for statement in stored.statements(conn, rows):
                with conn.begin():
                    conn.execute(statement)
        except SQLAlchemyError as exc:
            log.warning("report days not stored: %s", str(exc).splitlines()[0])
            return 0
        return len(rows)

    async def save_on(self, engine: AsyncEngine) -> None:
        """`save` on a connection of `engine` (the primary's), when there is anything to write."""
        if self._writes:
            async with engine.connect() as conn:
                await conn.run_sync(self.save)

    def _keep(self, key: Hashable, held: Held, built: bool = False, loaded: bool = False) -> None:
        with self._lock:
            self.built += built
            self.loaded += loaded
            old = self._held.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            if held.size > self.max_bytes:
                return
            self._held[key] = held
            self._bytes += held.size
            while self._bytes > self.max_bytes:
                _, dropped = self._held.popitem(last=False)
                self._bytes -= dropped.size

    @property
    def size(self) -> tuple[int, int]:
        """(days, bytes) held."""
        with self._lock:
            return len(self._held), self._bytes

