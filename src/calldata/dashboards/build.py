"""A whole dashboard: its four grouped statements (query.py) on one connection, then shaped (figures.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from calldata.dashboards import figures, query
from calldata.dashboards.period import Period
from calldata.dashboards.query import Scope
from calldata.reports.roster import current_roster

TOP = 10  # extensions and destinations shown


def dashboard(conn: Connection, scope: Scope, period: Period, zone: ZoneInfo, *, show_cost: bool = False,
              top: int = TOP) -> figures.Dashboard:
    """The dashboard of `scope` for `period` in `zone` (Settings.display_tz); carriers' costs only
    with `show_cost` (the operator's staff: a company's users see what they are charged)."""
    start, end = period.bounds(zone)
    buckets = period.buckets(zone)
    calls = query.call_groups(conn, scope, start, end)
    billed = query.billed_groups(conn, scope, start, end)
    roster = current_roster(conn)
    extensions = figures.Chart([], [])
    if roster is not None:
        extensions = figures.extensions_chart(query.parties(conn, scope, start, end), roster.device, roster.name,
                                              scope.companies, top)
    return figures.Dashboard(
        period=period.name,
        zone=zone.key,
        companies=None if scope.companies is None else sorted(scope.companies),
        totals=figures.totals(calls, billed),
        calls=figures.calls_chart(buckets, calls),
        minutes=figures.minutes_chart(buckets, calls, billed),
        spend=figures.spend_chart(buckets, billed),
        money=figures.money(billed, show_cost),
        extensions=extensions,
        destinations=figures.destinations_chart(query.destinations(conn, scope, start, end, top)),
    )
