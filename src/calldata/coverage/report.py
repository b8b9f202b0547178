"""The coverage report of a window from its stored whole UTC days plus its edges read live: the same
Report as calldata.attribution.report.coverage, without reading every leg of a long window.

Closed days (ended before now) from the day of the oldest leg to the day of the newest are stored
(coverage.stored); the rest of the window (a partial first or last day, today, anything later) is
read from the legs. Run it in a READ COMMITTED transaction on the primary: it takes the stored
days' lock, then drops and builds days. A leg stored on a stored day while a report is read shows
in the next report (its day is dropped then).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import NamedTuple

from sqlalchemy import Connection, func, select

from calldata.attribution import versions
from calldata.attribution.report import COUNTED, Report, Tally, read, report_of
from calldata.coverage import stored
from calldata.coverage.stored import DAY, start
from calldata.store.schema import cdr

Span = tuple[datetime | None, datetime | None]  # [since, until), either bound open


class Plan(NamedTuple):
    """The stored days of a window (consecutive, maybe none) and the spans read live."""

    days: list[date]
    live: list[Span]


def plan(since: datetime | None, until: datetime | None, legs: tuple[date, date] | None, now: datetime) -> Plan:
    """What of [since, until) is read from stored days, given the days of the oldest and newest legs (pure)."""
    if legs is None:
        return Plan([], [(since, until)])
    first, last = legs
    if since is not None:
        day = since.astimezone(UTC).date()
        first = max(first, day if start(day) == since else day + DAY)
    if until is not None:
        last = min(last, until.astimezone(UTC).date() - DAY)
    last = min(last, now.astimezone(UTC).date() - DAY)  # closed days only
    if first > last:
        return Plan([], [(since, until)])
    days = [first + DAY * k for k in range((last - first).days + 1)]
    return Plan(days, [(since, start(first)), (start(last + DAY), until)])


def legs_days(conn: Connection) -> tuple[date, date] | None:
    """The UTC days of the oldest and the newest leg (two ends of cdr's calldate index); None: no legs."""
    low, high = conn.execute(select(func.min(cdr.c.calldate), func.max(cdr.c.calldate))).one()
    if low is None:
        return None
    return _utc(low).date(), _utc(high).date()


def _utc(instant: datetime) -> datetime:
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def _added(parts: Sequence[tuple[list[int], Tally]]) -> tuple[list[int], Tally]:
    counts = [0] * len(COUNTED)
    total = Tally(Counter(), Counter(), Counter())
    for part_counts, part in parts:
        counts = [a + b for a, b in zip(counts, part_counts)]
        for mine, theirs in zip(total, part):
            mine.update(theirs)
    return counts, total


def coverage(conn: Connection, since: datetime | None = None, until: datetime | None = None, top: int = 10,
             now: datetime | None = None) -> Report:
    """The report for rows with `since <= calldate < until` (either bound optional), as
    attribution.report.coverage gives it."""
    stored.lock(conn)
    found = plan(since, until, legs_days(conn), now or datetime.now(UTC))
    stored.ensure(conn, found.days)
    parts = [read(conn, low, high) for low, high in found.live]
    if found.days:
        parts.append(stored.summed(conn, found.days[0], found.days[-1]))
    counts, tally = _added(parts)
    return report_of(counts, tally, versions.current_lookup(conn), since, until, top)


def bring_up(conn: Connection, now: datetime | None = None) -> int:
    """Every closed day from the oldest leg's to yesterday stored and true to the legs, ahead of the
    report over all legs (serve's upkeep): how many days were built."""
    stored.lock(conn)
    found = plan(None, None, legs_days(conn), now or datetime.now(UTC))
    return stored.ensure(conn, found.days)
