"""A dashboard of the operator, of one company or of a set of companies from its stored closed
days, plus the rest of its period (today, yesterday until MARGIN after midnight) read live, merged
before shaping.

The stored days are made sure of on the primary (refresh.ensure: dropped if their legs changed,
built if missing), so this runs on a connection of the write engine. A scope with no key (no
company; stored.key_of) stays wholly live, as does a period with no closed day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from calldata.dashboards import daily, query, refresh, stored
from calldata.dashboards.period import Period
from calldata.dashboards.query import MARGIN, Scope
from calldata.reports.period import midnight
from calldata.reports.roster import current_roster


class Plan(NamedTuple):
    """The stored days of a dashboard (`run`, its closed days in order) and the live rest [start, end)."""

    run: stored.Run
    days: list[date]
    rest: tuple[datetime, datetime] | None


def plan(scope: Scope, period: Period, zone: ZoneInfo, now: datetime) -> Plan | None:
    """What is read from stored days and what live; None when nothing can be stored (pure)."""
    key = stored.key_of(scope)
    days = [period.first + timedelta(days=k) for k in range(period.days)]
    closed = [day for day in days if refresh.closed(day, zone, now)]
    if key is None or not closed:
        return None
    rest = None
    if len(closed) < len(days):
        rest = (midnight(days[len(closed)], zone), period.bounds(zone)[1])
    return Plan(stored.Run(key, zone.key, closed[0], closed[-1]), closed, rest)


def _read(conn: Connection, scope: Scope, found: Plan, hourly: bool, top: int) -> list[Any]:
    """calls, billed legs, the roster, parties, destinations: the stored days' and the rest's."""
    run = found.run
    calls, billed = stored.call_groups(conn, run, hourly), stored.billed_groups(conn, run, hourly)
    parties = [stored.parties(conn, run)]
    live = None
    if found.rest is not None:
        start, end = found.rest
        calls += query.call_groups(conn, scope, start, end)
        billed += query.billed_groups(conn, scope, start, end)
        parties.append(daily.parties(conn, scope, start, end))
        live = (scope, {"before": start - MARGIN, "start": start, "end": end})
    return [calls, billed, current_roster(conn), daily.merged(parties), stored.destinations(conn, run, live, top)]


def kept(conn: Connection, scope: Scope, period: Period, zone: ZoneInfo, found: Plan, top: int) -> list[Any]:
    """What build.shaped takes, from the stored days of `found` (built first when missing or stale)."""
    if conn.in_transaction():
        conn.commit()
    with conn.begin():  # readers at once: the days cannot be dropped under them
        refresh.lock(conn, shared=True)
        fresh = refresh.marked(conn) == refresh.current(conn)
        if fresh and stored.stored_days(conn, found.run) == set(found.days):
            return _read(conn, scope, found, period.hourly, top)
    with conn.begin():
        refresh.ensure(conn, scope, zone, found.days)
        return _read(conn, scope, found, period.hourly, top)
