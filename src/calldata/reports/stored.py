"""Report days in the store (reports.schema): read for the days a server process does not hold,
written when tabulated or found still true, pruned when their directory is no longer the current
one or nobody has read them for UNUSED.

A body is the table as msgpack (as fast to decode as JSON with msgspec, and a fifth smaller),
compressed by zlib at level 1: a sixth of the bytes (a 100-extension company's day: 65 kB, 11 kB
stored), 0.3 ms a day to compress, 0.15 ms to expand; written as a sixth of the bytes, a month's
days go in a third of the time PostgreSQL's own compression of the msgpack took.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Hashable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import Connection, Executable, and_, delete, or_, select, update

from calldata.reports.changes import Mark
from calldata.reports.days import Day, Table
from calldata.reports.schema import report_day
from calldata.store.dialect import insert

UNUSED = timedelta(days=40)  # a stored day nobody read (or wrote) for this long is pruned
KEY = ("part", "start", "end", "first")
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder()


def encode(table: Table) -> tuple[bytes, int]:
    """The body of `table`, and the bytes of its msgpack (what it takes in memory is about a multiple)."""
    packed = _encoder.encode(table)
    return zlib.compress(packed, 1), len(packed)


def decode(body: bytes) -> tuple[Table, int]:
    """The table of a body, and the bytes of its msgpack."""
    packed = zlib.decompress(body)
    return _decoder.decode(packed), len(packed)


def key_of(part: Hashable) -> str:
    """The stable key of a report part (its kind, company, names, directory): sha256 of its JSON."""
    return hashlib.sha256(msgspec.json.encode(part)).hexdigest()


class Found(NamedTuple):
    """A stored day: its table read at `mark` from the legs of [since, until), last used `used`."""

    mark: Mark
    since: int
    until: int
    body: bytes
    used: date


class Row(NamedTuple):
    """A day to write: with a `body`, the day as tabulated (inserted, or replacing what is stored);
    without, a stored day found still true at `mark` (renewed only while it still holds `was`)."""

    part: str
    directory: int
    day: Day
    mark: Mark
    since: int
    until: int
    body: bytes | None
    used: date
    was: Mark | None = None


def read(conn: Connection, part: str, wanted: Sequence[Day]) -> dict[Day, Found]:
    """The stored days among `wanted` of one part: one statement."""
    if not wanted:
        return {}
    t = report_day
    periods: dict[tuple[int, int], list[int]] = {}
    for day in wanted:
        periods.setdefault((day.start, day.end), []).append(day.first)
    which = or_(*(and_(t.c.start == start, t.c.end == end, t.c.first.in_(firsts))
                  for (start, end), firsts in periods.items()))
    stmt = select(t.c.first, t.c.last, t.c.start, t.c.end, t.c.seq, t.c.low, t.c.high, t.c.event, t.c.since,
                  t.c.until, t.c.body, t.c.used).where(t.c.part == part, which)
    asked = set(wanted)
    found: dict[Day, Found] = {}
    for first, last, start, end, seq, low, high, event, since, until, body, used in conn.execute(stmt):
        day = Day(first, last, start, end)
        if day in asked:
            found[day] = Found(Mark(seq, low, high, event), since, until, bytes(body), used)
    return found


def _mark(mark: Mark) -> dict[str, int]:
    return {"seq": mark.seq, "low": mark.low, "high": mark.high, "event": mark.event}


def statements(conn: Connection, rows: Iterable[Row]) -> list[Executable]:
    """What writes `rows`, each statement to run in a transaction of its own, each taking its rows
    in the key's order (two writers of the same days do not wait on each other in a circle): the
    days tabulated in one INSERT, a day another writer stored meanwhile replaced (both are true at
    their marks); the days renewed by one UPDATE per part, period and mark they held, which renews
    only those still holding it."""
    t = report_day
    made: list[Executable] = []
    built: list[dict[str, Any]] = []
    renewed: dict[tuple[str, int, int, Mark, Mark, date], list[int]] = {}
    for row in sorted(rows, key=lambda r: (r.part, r.day.start, r.day.end, r.day.first)):
        if row.body is None:
            assert row.was is not None
            renewed.setdefault((row.part, row.day.start, row.day.end, row.was, row.mark, row.used), []).append(row.day.first)
        else:
            built.append({"part": row.part, "start": row.day.start, "end": row.day.end, "first": row.day.first,
                          "last": row.day.last, "directory": row.directory, **_mark(row.mark), "since": row.since,
                          "until": row.until, "body": row.body, "used": row.used})
    if built:
        stmt = insert(conn, t).values(built)
        made.append(stmt.on_conflict_do_update(index_elements=list(KEY), set_={
            name: stmt.excluded[name] for name in built[0] if name not in KEY}))
    for (part, start, end, was, mark, used), firsts in renewed.items():
        held = [t.c[name] == value for name, value in _mark(was).items()]
        made.append(update(t).where(t.c.part == part, t.c.start == start, t.c.end == end, t.c.first.in_(firsts), *held)
                    .values(**_mark(mark), used=used))
    return made


def prune(conn: Connection, directory: int | None, today: date) -> int:
    """Drop the stored days of any directory version but `directory` (the current one's id; None:
    none is loaded) and those not used since UNUSED before `today`: how many."""
    t = report_day
    stale = delete(t) if directory is None else delete(t).where(or_(t.c.used < today - UNUSED,
                                                                     t.c.directory != directory))
    return conn.execute(stale).rowcount or 0
