"""A whole dashboard: its four grouped statements and the roster (query.py), then shaped (figures.py).

The reads are independent of each other, so a caller on an async engine may run them at once on
several connections (`reads`, then `shaped`); `dashboard` runs them one after another on one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from calldata.dashboards import figures, query
from calldata.dashboards.period import Period
from calldata.dashboards.query import Scope
from calldata.reports.roster import current_roster

TOP = 10  # extensions and destinations shown


class Asked(NamedTuple):
    """One dashboard: whose calls, which period, in which zone, with carriers' costs or not."""

    scope: Scope
    period: Period
    zone: ZoneInfo
    show_cost: bool = False
    top: int = TOP


def reads(asked: Asked) -> list[Callable[[Connection], Any]]:
    """What the dashboard reads, each on a connection of its own if the caller likes, in the order
    `shaped` takes them: calls, billed legs, the roster, parties, destinations."""
    start, end = asked.period.bounds(asked.zone)
    scope = asked.scope
    return [
        lambda conn: query.call_groups(conn, scope, start, end),
        lambda conn: query.billed_groups(conn, scope, start, end),
        current_roster,
        lambda conn: query.parties(conn, scope, start, end),
        lambda conn: query.destinations(conn, scope, start, end, asked.top),
    ]


def shaped(asked: Asked, read: list[Any]) -> figures.Dashboard:
    """The dashboard from what `reads` read (pure)."""
    calls, billed, roster, parties, destinations = read
    buckets = asked.period.buckets(asked.zone)
    extensions = figures.Chart([], [])
    if roster is not None:
        extensions = figures.extensions_chart(parties, roster.device, roster.name, asked.scope.companies, asked.top)
    return figures.Dashboard(
        period=asked.period.name,
        zone=asked.zone.key,
        companies=None if asked.scope.companies is None else sorted(asked.scope.companies),
        totals=figures.totals(calls, billed),
        calls=figures.calls_chart(buckets, calls),
        minutes=figures.minutes_chart(buckets, calls, billed),
        spend=figures.spend_chart(buckets, billed),
        money=figures.money(billed, asked.show_cost),
        extensions=extensions,
        destinations=figures.destinations_chart(destinations),
    )


def dashboard(conn: Connection, scope: Scope, period: Period, zone: ZoneInfo, *, show_cost: bool = False,
              top: int = TOP) -> figures.Dashboard:
    """The dashboard of `scope` for `period` in `zone` (Settings.display_tz), read on `conn`; carriers'
    costs only with `show_cost` (the operator's staff: a company's users see what they are charged)."""
    asked = Asked(scope, period, zone, show_cost, top)
    return shaped(asked, [read(conn) for read in reads(asked)])
