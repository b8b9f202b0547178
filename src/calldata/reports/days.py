"""A report's period cut into UTC days, each tabulated from its own legs, and the days joined.

A leg's line in incalls or outcalls depends on the leg, its caller's queue stays (all of them,
whenever they are) and whether a pickup took it: a leg of the same channel starting within a
second of its end (reports.detail.picked_up). So a day's lines come from the legs started in the
day and those around it up to a second before it and to the end of its longest leg (MARGIN at least,
never outside the period); joined in time order, the days' lines are the period's, exactly. A
kept day (reports.kept) is tabulated again only when a change touches the legs it read.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection

from calldata.reports import query
from calldata.reports.query import Leg

DAY = 86_400
MARGIN = 6 * 3600  # seconds read after a day at least: its legs' ends, where a pickup starts
SLACK = 2  # a pickup starts within a second of the end of the leg it takes, both floored to the second

Table = dict[str, Any]  # key (extension or device) -> {name, calls, ...}: reports.incalls, reports.outcalls


class Day(NamedTuple):
    """The lines of the legs started in [first, last) of a period [start, end); epoch seconds."""

    first: int
    last: int
    start: int
    end: int


def days(start: datetime, end: datetime, size: int = DAY) -> list[Day]:
    """The period cut at UTC midnights (every `size` seconds from the epoch), in time order."""
    low, high = int(start.timestamp()), int(end.timestamp())
    cuts = [low, *range((low // size + 1) * size, high, size), high]
    return [Day(a, b, low, high) for a, b in zip(cuts, cuts[1:]) if a < b]


def instant(second: int) -> datetime:
    return datetime.fromtimestamp(second, UTC)


def legs(conn: Connection, side: str, company: str, day: Day) -> tuple[list[Leg], int, int]:
    """The legs a day's lines are made from, and the span [from, until) they were read from."""
    since, until = _span(day)
    while True:
        found = query.legs(conn, side, company, instant(since), instant(until))
        needed = _needed(found, day)
        if needed <= until:
            return found, since, until
        until = needed


def read(conn: Connection, side: str, company: str, run: Sequence[Day]) -> list[tuple[list[Leg], int, int]]:
    """`legs` of each day of a run of consecutive days, read in one query (a month cold: one
    statement, not 30); a day whose legs end past the run's read is read on its own."""
    low, high = _span(run[0])[0], _span(run[-1])[1]
    found = query.legs(conn, side, company, instant(low), instant(high))
    starts = [leg.calldate for leg in found]  # in time order: whole seconds, floored
    each = []
    for day in run:
        since, until = _span(day)
        needed = _needed(found[bisect_left(starts, day.first):bisect_left(starts, day.last)], day)
        if needed > high:
            each.append(legs(conn, side, company, day))
            continue
        until = max(until, needed)
        each.append((found[bisect_left(starts, since):bisect_left(starts, until)], since, until))
    return each


def runs(wanted: Sequence[Day]) -> list[list[Day]]:
    """`wanted` (in time order) cut where one day does not follow the other."""
    found: list[list[Day]] = []
    for day in wanted:
        if found and found[-1][-1].last == day.first:
            found[-1].append(day)
        else:
            found.append([day])
    return found


def _span(day: Day) -> tuple[int, int]:
    """Where a day's legs are read at least: SLACK before it to MARGIN after it, within the period."""
    return max(day.first - SLACK, day.start), min(day.last + MARGIN, day.end)


def _needed(found: Iterable[Leg], day: Day) -> int:
    """Up to where legs must be read for the pickups of the day's legs: past the end of its longest."""
    ends = (leg.end for leg in found if leg.end is not None and day.first <= leg.calldate < day.last)
    return min(max(ends, default=0) + SLACK, day.end)  # a pickup starts within a second of the end


def trimmed(table: Table, day: Day, named: Iterable[str]) -> Table:
    """The day's own lines: legs read around it dropped, and a key left without calls unless named
    (`named`: the keys of the table of no legs, those present even without calls)."""
    kept: Table = {}
    keep = set(named)
    for key, entry in table.items():
        calls = [call for call in entry["calls"] if day.first <= call["calldate"] < day.last]
        if calls or key in keep:
            kept[key] = {**entry, "calls": calls}
    return kept


def joined(tables: Sequence[Table], add_up: Callable[[dict[str, Any]], None] | None = None) -> Table:
    """The days' tables as one, in time order (a key where it first has a call); `add_up` sets an
    entry's totals from its calls again (reports.outcalls)."""
    if len(tables) == 1:
        return tables[0]
    whole: Table = {}
    for table in tables:
        for key, entry in table.items():
            held = whole.get(key)
            if held is None:
                whole[key] = {**entry, "calls": list(entry["calls"])}
            else:
                held["calls"] += entry["calls"]
    if add_up is not None:
        for entry in whole.values():
            add_up(entry)
    return whole
