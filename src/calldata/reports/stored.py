"""Report days in the store (reports.schema): read for the days a server process does not hold,
written when tabulated or found still true, pruned when their directory is no longer the current
one or nobody has read them for UNUSED.

Bodies are msgpack: as fast to decode as JSON (msgspec, ~0.3 ms a 600-call day) and a fifth smaller.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import Connection, and_, delete, or_, select, update

from calldata.reports.changes import Mark
from calldata.reports.days import Day, Table
from calldata.reports.schema import report_day
from calldata.store.dialect import insert

UNUSED = timedelta(days=40)  # a stored day nobody read (or wrote) for this long is pruned
KEY = ("part", "start", "end", "first")
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder()


def encode(table: Table) -> bytes:
    return _encoder.encode(table)


def decode(body: bytes) -> Table:
    return _decoder.decode(body)  # type: ignore[no-any-return]


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


def _key(row: Row) -> dict[str, Any]:
    return {"part": row.part, "start": row.day.start, "end": row.day.end, "first": row.day.first}


def _mark(mark: Mark) -> dict[str, int]:
    return {"seq": mark.seq, "low": mark.low, "high": mark.high, "event": mark.event}


def write(conn: Connection, rows: Iterable[Row]) -> None:
    """Write `rows` in the key's order (two writers of the same days never wait on each other in a
    circle); a day another writer stored meanwhile is replaced (both are true at their marks)."""
    t = report_day
    for row in sorted(rows, key=lambda r: (r.part, r.day.start, r.day.end, r.day.first)):
        values = {**_mark(row.mark), "used": row.used}
        if row.body is None:
            assert row.was is not None
            conn.execute(update(t).where(*(t.c[name] == value for name, value in {**_key(row), **_mark(row.was)}.items()))
                         .values(**values))
            continue
        values |= {"last": row.day.last, "directory": row.directory, "since": row.since, "until": row.until,
                   "body": row.body}
        stmt = insert(conn, t).values(**_key(row), **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=list(KEY), set_=values))


def prune(conn: Connection, directory: int | None, today: date) -> int:
    """Drop the stored days of any directory version but `directory` (the current one's id; None:
    none is loaded) and those not used since UNUSED before `today`: how many."""
    t = report_day
    stale = delete(t) if directory is None else delete(t).where(or_(t.c.used < today - UNUSED,
                                                                     t.c.directory != directory))
    return conn.execute(stale).rowcount or 0
