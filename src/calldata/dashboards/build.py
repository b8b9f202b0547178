"""A whole dashboard: its four grouped statements and the roster (query.py), then shaped (figures.py).

The closed days of the operator, of one company or of a set of companies are read from the store
(kept.py: built once, kept fresh), the rest of the period live. Live, the reads are independent
of each other, so a caller on an async engine may run them at once on several connections
(`reads`, then `shaped`); `dashboard` runs them one after another on one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from calldata.dashboards import figures, kept, query
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


def stored_plan(asked: Asked, now: datetime | None = None) -> kept.Plan | None:
    """The stored days the dashboard reads (None: it is read live), as of `now` (the clock's)."""
    return kept.plan(asked.scope, asked.period, asked.zone, now or datetime.now(UTC))


def from_store(asked: Asked, plan: kept.Plan) -> Callable[[Connection], Any]:
    """What `shaped` takes, read from stored days and the live rest, on a connection to the primary."""
    return lambda conn: kept.kept(conn, asked.scope, asked.period, asked.zone, plan, asked.top)


def dashboard(conn: Connection, scope: Scope, period: Period, zone: ZoneInfo, *, show_cost: bool = False,
              top: int = TOP, live: bool = False, now: datetime | None = None) -> figures.Dashboard:
    """The dashboard of `scope` for `period` in `zone` (Settings.display_tz), read on `conn` (the
    primary's: stored days may be built), or wholly `live` (nothing written); carriers' costs only
    with `show_cost` (the operator's staff: a company's users see what they are charged)."""
    asked = Asked(scope, period, zone, show_cost, top)
    plan = None if live else stored_plan(asked, now)
    if plan is not None:
        return shaped(asked, from_store(asked, plan)(conn))
    return shaped(asked, [read(conn) for read in reads(asked)])
