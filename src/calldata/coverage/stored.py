"""UTC days' coverage figures in the store: a day built from its legs and written once, dropped
when a change touches its legs, a run of days read back summed.

Anything that writes a leg gives its call a new call_change sequence (a new leg, a reprocess,
re-rating, a restored archive) and every new row a higher acctid (calldata.reports.changes).
coverage_mark holds the sequence and acctids the stored days are known good up to; when the store
has moved past it, the UTC days of the legs of the calls changed since, and of the legs added since,
are dropped, and the mark moves on. Legs gone from either end of the acctids (retention), a change
feed gone back or a change too large to place drop every stored day. A new directory version changes
no stored figure: the report asks the current directory about the stored keys when it is read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text, update

from calldata.attribution.report import COUNTED, COUNTS, LACKING, TALLIED, Tally, tally, window
from calldata.coverage.schema import KINDS, coverage_day, coverage_key, coverage_mark
from calldata.reports import changes
from calldata.reports.query import epoch
from calldata.store import dialect as store_dialect
from calldata.store.schema import cdr

LOCK = 0x636F766572646179  # "coverday": builders and refreshers take turns
DAY = timedelta(days=1)
EPOCH = date(1970, 1, 1)
_CHUNK = 500  # days dropped per statement


def start(day: date) -> datetime:
    """The UTC instant `day` starts."""
    return datetime.combine(day, time(), UTC)


def lock(conn: Connection) -> None:
    """Until commit, the stored days are this transaction's to read, build and drop (PostgreSQL: an
    advisory lock; SQLite: its write lock, taken by writing the mark row)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK})
    conn.execute(store_dialect.insert(conn, coverage_mark).values(id=1, seq=0, low=0, high=0).on_conflict_do_nothing())


def forget(conn: Connection, days: Iterable[date] | None) -> None:
    """Drop the stored `days` (None: every one)."""
    if days is None:
        for table in (coverage_key, coverage_day):
            conn.execute(delete(table))
        return
    ordered = sorted(days)
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i:i + _CHUNK]
        for table in (coverage_key, coverage_day):
            conn.execute(delete(table).where(table.c.day.in_(chunk)))


def touched(hours: Iterable[tuple[int, int]]) -> set[date]:
    """The UTC days holding a leg of those (first, last) epoch hours (pure)."""
    days: set[date] = set()
    for first, last in hours:
        day = datetime.fromtimestamp(first * 3600, UTC).date()
        end = datetime.fromtimestamp(last * 3600, UTC).date()
        while day <= end:
            days.add(day)
            day += DAY
    return days


def refresh(conn: Connection) -> None:
    """Drop the stored days the store's changes since the mark touch, and move the mark (`lock` held)."""
    now = changes.current(conn)
    row = conn.execute(select(coverage_mark.c.seq, coverage_mark.c.low, coverage_mark.c.high)).one()
    since = changes.Mark(*(int(v) for v in row), event=now.event)  # queue events change no coverage figure
    if now == since:
        return
    if conn.execute(select(coverage_day.c.day).limit(1)).first() is not None:
        if changes.gone(since, now) or changes.changed_calls(conn, since.seq) > changes.TOO_MANY:
            forget(conn, None)
        else:
            forget(conn, touched(changes.leg_hours(conn, since.seq, since.high)))
    conn.execute(update(coverage_mark).where(coverage_mark.c.id == 1)
                 .values(seq=now.seq, low=now.low, high=now.high))


def build(conn: Connection, days: list[date]) -> None:
    """Tally the legs of the consecutive UTC `days` (two statements) and store each day's figures."""
    where = window(start(days[0]), start(days[-1] + DAY))
    number = (epoch(conn.dialect.name, cdr.c.calldate) // 86400).label("number")  # days since 1970-01-01
    counts = {int(row[0]): row[1:] for row in conn.execute(select(number, *COUNTS).where(where).group_by(number))}
    rows = conn.execute(select(number, *TALLIED).where(where, LACKING).order_by(number)
                        .execution_options(yield_per=5000))
    tallies = {int(n): tally(group) for n, group in groupby(rows, key=lambda row: row.number)}
    for day in days:
        n = (day - EPOCH).days
        conn.execute(insert(coverage_day).values(day=day, **dict(zip(COUNTED, counts.get(n, [0] * len(COUNTED))))))
        keys = [{"day": day, "kind": kind, "key": key, "rows": count}
                for kind, counter in zip(KINDS, tallies.get(n, ())) for key, count in counter.items()]
        if keys:
            conn.execute(insert(coverage_key), keys)


def ensure(conn: Connection, days: list[date]) -> int:
    """Every one of `days` (consecutive) stored and true to the legs (`lock` held): how many were built."""
    refresh(conn)
    if not days:
        return 0
    have = set(conn.execute(select(coverage_day.c.day)
                            .where(coverage_day.c.day >= days[0], coverage_day.c.day <= days[-1])).scalars())
    missing = [day for day in days if day not in have]
    runs = groupby(enumerate(missing), key=lambda pair: pair[1] - DAY * pair[0])  # consecutive days
    for _, run in runs:
        build(conn, [day for _, day in run])
    return len(missing)


def summed(conn: Connection, first: date, last: date) -> tuple[list[int], Tally]:
    """The COUNTED figures and the Tally of the stored days `first` to `last` (inclusive), added up."""
    day, key = coverage_day.c.day, coverage_key.c.day
    counts = conn.execute(select(*(func.coalesce(func.sum(coverage_day.c[name]), 0) for name in COUNTED))
                          .where(day >= first, day <= last)).one()
    found = Tally(Counter(), Counter(), Counter())
    counters: dict[str, Counter[str]] = dict(zip(KINDS, found))
    rows: Any = conn.execute(select(coverage_key.c.kind, coverage_key.c.key, func.sum(coverage_key.c.rows))
                             .where(key >= first, key <= last)
                             .group_by(coverage_key.c.kind, coverage_key.c.key))
    for kind, name, n in rows:
        counters[kind][name] = int(n)
    return [int(n) for n in counts], found
