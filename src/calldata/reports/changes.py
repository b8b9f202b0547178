"""What the store changed between two marks, as the UTC hours of the legs it touched.

Anything that writes a leg gives its call a new call_change sequence (a new leg, a reprocess,
re-rating, a restored archive: calldata.store.calls.note_changes), every stored row takes a higher
acctid and every queue_log event a higher id (events are only ever added). So a result read from
some legs at one mark is still the result at a later mark when no change between the two touched an
hour of those legs: kept reports (reports.kept) and stored dashboard days (dashboards.refresh)
rely on it. Rows gone from the low end of the acctids (retention drops the oldest partitions; a
table emptied) or a change feed gone back are not placed in time: everything may have changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, select

from calldata.attribution import versions
from calldata.queues.query import among
from calldata.queues.schema import queue_event
from calldata.reports.query import epoch
from calldata.store.schema import call_change, cdr

HOUR = 3600
TOO_MANY = 50_000  # changed calls or new events: beyond this the change is not placed (everything changed)


class Mark(NamedTuple):
    """How far the store has got: newest call change, lowest and highest acctid, newest queue
    event (0 when none)."""

    seq: int
    low: int
    high: int
    event: int = 0


_NOW = select(*(func.coalesce(part, 0) for part in (
    select(func.max(call_change.c.seq)).scalar_subquery(),
    select(func.min(cdr.c.acctid)).scalar_subquery(),
    select(func.max(cdr.c.acctid)).scalar_subquery(),
    select(func.max(queue_event.c.id)).scalar_subquery(),
)))


def current(conn: Connection) -> Mark:
    """The store's mark now: four index lookups, no transaction needed."""
    return Mark(*(int(v) for v in conn.execute(_NOW).one()))


def gone(since: Mark, now: Mark) -> bool:
    """Legs, events or call changes went away between the marks: changes that cannot be placed."""
    return now.seq < since.seq or now.low > since.low or now.high < since.high or now.event < since.event


def leg_hours(conn: Connection, seq: int, high: int) -> set[tuple[int, int]]:
    """(first, last) UTC epoch hours of the legs of each call changed after sequence `seq`, and of
    each leg added after acctid `high`: distinct, so a batch of a thousand calls gives a few rows."""
    dialect = conn.dialect.name
    changed = select(call_change.c.call).where(call_change.c.seq > seq)
    spans = (select(epoch(dialect, func.min(cdr.c.calldate)).label("low"),
                    epoch(dialect, func.max(cdr.c.calldate)).label("high"))
             .where(among(dialect, cdr.c.call, changed))  # the calls' legs by cdr's call index, whatever the estimate
             .group_by(cdr.c.call).subquery("spans"))
    found = {(int(lo) // HOUR, int(hi) // HOUR) for lo, hi in conn.execute(select(spans.c.low, spans.c.high).distinct())}
    added = select((epoch(dialect, cdr.c.calldate) // HOUR).label("hour")).where(cdr.c.acctid > high)
    found |= {(int(h), int(h)) for h in conn.execute(added.distinct()).scalars()}
    return found


def changed_calls(conn: Connection, seq: int) -> int:
    """How many calls changed after sequence `seq`."""
    return conn.execute(select(func.count()).select_from(call_change).where(call_change.c.seq > seq)).scalar_one()


def _event_hours(conn: Connection, event: int) -> set[tuple[int, int]] | None:
    """The hours of the legs whose callers (uniqueid) have a queue event after id `event` (incalls'
    qtime and qstatus read them); None when there are too many to place."""
    callers = select(queue_event.c.callid).where(queue_event.c.id > event)
    if conn.execute(select(func.count()).select_from(callers.subquery())).scalar_one() > TOO_MANY:
        return None
    dialect = conn.dialect.name
    hours = select((epoch(dialect, cdr.c.calldate) // HOUR).label("hour")).where(
        among(dialect, cdr.c.uniqueid, callers.distinct()))
    return {(int(h), int(h)) for h in conn.execute(hours.distinct()).scalars()}


def touched(conn: Connection, since: Mark, now: Mark) -> list[tuple[int, int]] | None:
    """The UTC epoch-second spans [start, end), whole hours, holding every leg whose report line may
    differ at `now` from `since` (changes after `now` may be counted too); None: anything may."""
    if now == since:
        return []
    if gone(since, now) or changed_calls(conn, since.seq) > TOO_MANY:
        return None
    hours = leg_hours(conn, since.seq, since.high) if (now.seq, now.high) != (since.seq, since.high) else set()
    if now.event != since.event:
        events = _event_hours(conn, since.event)
        if events is None:
            return None
        hours |= events
    return [(first * HOUR, (last + 1) * HOUR) for first, last in sorted(hours)]


def overlaps(spans: Iterable[tuple[int, int]], start: int, end: int) -> bool:
    """Some span meets [start, end) (epoch seconds)."""
    return any(first < end and start < last for first, last in spans)


def untouched(conn: Connection, since: Mark, now: Mark, spans: Iterable[tuple[int, int]]) -> bool:
    """No change between the marks touched a leg started in one of `spans` ([start, end), epoch seconds)."""
    return misses(touched(conn, since, now), spans)


def misses(found: list[tuple[int, int]] | None, spans: Iterable[tuple[int, int]]) -> bool:
    """No span of `spans` meets one of `found` (`touched`'s answer; None: everything may have changed)."""
    return found is not None and not any(overlaps(found, start, end) for start, end in spans)


class Stamp(NamedTuple):
    """What a figure read from the legs and named by the directory is built from: the store's mark
    and the directory version (loading a version changes no leg)."""

    mark: Mark
    directory: Any


def stamp(conn: Connection) -> Stamp:
    """Index lookups: no transaction needed."""
    return Stamp(current(conn), versions.head(conn))


def still(conn: Connection, since: Stamp, now: Stamp, spans: Iterable[tuple[int, int]]) -> bool:
    """The directory is the same and no leg started in `spans` changed between the stamps."""
    return since.directory == now.directory and untouched(conn, since.mark, now.mark, spans)
