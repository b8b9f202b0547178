"""Closed days' figures in the store (dashboards.schema): a day built from the legs and written
once, and a run of stored days read back summed, ready to merge with what is read live.

Calls and billed legs add up across days as they are (each belongs to the quarter-hour its first
leg, or it, started in); parties and destinations are daily.py's splits: a run of days counts the
`first` of every day and the `carried` of its first day.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Date, Select, Text, and_, case, delete, func, insert, literal, select, union_all

from calldata.attribution.directory import COMPANY_ID
from calldata.dashboards import daily, query
from calldata.dashboards.query import MARGIN, WAYS, BilledGroup, CallGroup, Scope
from calldata.dashboards.schema import (
    DAY_TABLES,
    OPERATOR,
    dashboard_billed,
    dashboard_calls,
    dashboard_day,
    dashboard_destination,
    dashboard_party,
)
from calldata.reports.period import midnight
from calldata.store import dialect as store_dialect


SEPARATOR = "+"  # between the ids of a set of companies: never in one (attribution.directory.COMPANY_ID)
DIGEST = "#"  # before the digest of a set whose ids are too long to be its key
LONGEST = 256  # characters of a set's key at most (it is in the primary key of every stored row)


def key_of(scope: Scope) -> str | None:
    """The scope key figures are stored under: OPERATOR, one company's id, or a set's sorted ids
    joined by SEPARATOR (its digest when longer than LONGEST). The live statements count a call
    between two companies of a set once, so the set's stored days are the set's own. None (read
    live) for no company, or for an id a directory could not hold (`*`, `a+b`: another key)."""
    if scope.companies is None:
        return OPERATOR
    if not scope.companies or not all(COMPANY_ID.match(company) for company in scope.companies):
        return None
    key = SEPARATOR.join(sorted(scope.companies))
    return key if len(key) <= LONGEST else DIGEST + hashlib.sha256(key.encode()).hexdigest()[:32]


def key_that(scope: Scope) -> str:
    """The key of a scope that has one (key_of's), for what stores it."""
    key = key_of(scope)
    assert key is not None, "a scope with no key is read live"
    return key


def named(key: str) -> str:
    """A scope key as people read it (a log line, the CLI's)."""
    return "every company" if key == OPERATOR else key


def scope_of(key: str) -> Scope | None:
    """The scope stored under `key` (key_of's inverse); None for a digest's, which names no company."""
    if key == OPERATOR:
        return Scope()
    return None if key.startswith(DIGEST) else Scope(frozenset(key.split(SEPARATOR)))


class Run(NamedTuple):
    """Stored days `first` to `last` (inclusive) of one scope key in one zone."""

    key: str
    zone: str
    first: date
    last: date

    def where(self, table: Any) -> Any:
        return and_(table.c.scope == self.key, table.c.zone == self.zone, table.c.day >= self.first,
                    table.c.day <= self.last)


def _day_rows(conn: Connection, scope: Scope, start: datetime, end: datetime) -> list[tuple[Any, Any, Any]]:
    """Per table: (the table, its columns after scope, zone and day as the live statement's rows give
    them, the statement's parameters for the day [start, end))."""
    dialect = conn.dialect.name
    calls = query.calls_statement(dialect, scope).subquery("calls").c
    way = case(*((calls[1] == code, name) for code, name in enumerate(WAYS)))
    billed = query.billed_statement(dialect, scope).subquery("billed").c
    parties = daily.parties_statement(scope).subquery("parties").c
    numbers = daily.destinations_statement(scope).subquery("numbers").c
    split = {"before": start - MARGIN, "start": start, "end": end}
    return [
        (dashboard_calls, [calls[0], way, calls[2] == 1, calls[3], func.coalesce(calls[4], 0)],
         query.calls_params(start, end)),
        (dashboard_billed, [billed[0], func.coalesce(billed[1], ""), func.coalesce(billed[2], ""),
                            *(func.coalesce(billed[i], 0) for i in range(3, 8))], {"start": start, "end": end}),
        (dashboard_party, list(parties), split),
        (dashboard_destination, [numbers.dial_full, numbers.name, numbers.first, numbers.carried, numbers.billsec,
                                 numbers.price, numbers.unpriced, numbers.low, numbers.high], split),
    ]


def build(conn: Connection, scope: Scope, zone: ZoneInfo, day: date) -> bool:
    """Store the day's figures of `scope` (one with a key_of), computed and written by the database
    (the live statements restricted to the day, INSERT ... SELECT), unless it is stored already
    (another server built it): True if built."""
    key = key_that(scope)
    where = {"scope": key, "zone": zone.key, "day": day}
    added = conn.execute(store_dialect.insert(conn, dashboard_day).values(**where).on_conflict_do_nothing())
    if added.rowcount == 0:
        return False
    start, end = midnight(day, zone), midnight(day + timedelta(days=1), zone)
    fixed = [literal(key, Text), literal(zone.key, Text), literal(day, Date)]
    for table, columns, params in _day_rows(conn, scope, start, end):
        names = [c.name for c in table.columns]
        conn.execute(insert(table).from_select(names, select(*fixed, *columns)), params)
    return True


def forget(conn: Connection, where: Any) -> None:
    """Drop the stored days `where` (a condition on dashboard_day's columns) with all their figures."""
    for table in (*DAY_TABLES, dashboard_day):
        conn.execute(delete(table).where(where(table)))


def stored_days(conn: Connection, run: Run) -> set[date]:
    """The days of `run` that are stored."""
    return set(conn.execute(select(dashboard_day.c.day).where(run.where(dashboard_day))).scalars())


def call_groups(conn: Connection, run: Run, hourly: bool) -> list[CallGroup]:
    """The run's CallGroups; by the day (at its first quarter: the day's bucket) unless `hourly`."""
    t = dashboard_calls
    keys = (t.c.direction, t.c.answered) if hourly else (t.c.day, t.c.direction, t.c.answered)
    quarter = t.c.quarter if hourly else func.min(t.c.quarter)
    stmt = select(quarter, t.c.direction, t.c.answered, func.sum(t.c.calls), func.sum(t.c.talk)).where(run.where(t))
    stmt = stmt.group_by(t.c.quarter, *keys) if hourly else stmt.group_by(*keys)
    return [CallGroup(int(q), way, bool(a), int(n), int(s)) for q, way, a, n, s in conn.execute(stmt)]


def billed_groups(conn: Connection, run: Run, hourly: bool) -> list[BilledGroup]:
    """The run's BilledGroups; by the day (as call_groups) unless `hourly`."""
    t = dashboard_billed
    keys = [t.c.currency, t.c.cost_currency] + ([t.c.quarter] if hourly else [t.c.day])
    sums = [func.sum(t.c[name]) for name in ("legs", "billsec", "price", "cost", "unrated")]
    stmt = select(t.c.quarter if hourly else func.min(t.c.quarter), t.c.currency, t.c.cost_currency, *sums)
    return [BilledGroup(int(q), cur or None, cost_cur or None, *(int(v) for v in rest))
            for q, cur, cost_cur, *rest in conn.execute(stmt.where(run.where(t)).group_by(*keys))]


def parties(conn: Connection, run: Run) -> list[daily.PartySplit]:
    """The run's parties: `first` summed over its days, `carried` that of its first day."""
    t = dashboard_party
    carried = func.sum(case((t.c.day == run.first, t.c.carried), else_=0))
    stmt = select(t.c.placed, t.c.channel, func.sum(t.c.first), carried).where(run.where(t))
    return [daily.PartySplit(bool(placed), channel, int(first), int(moved))
            for placed, channel, first, moved in conn.execute(stmt.group_by(t.c.placed, t.c.channel))]


def _ranked(c: Any, calls: Any, top: int) -> Select[Any]:
    """Destinations of rows with the columns of dashboard_destination, most calls first."""
    one_currency = and_(func.sum(c.unpriced) == 0, func.min(c.low) == func.max(c.high))
    return (select(c.number, func.max(c.name), calls, func.sum(c.billsec), case((one_currency, func.sum(c.price))),
                   case((one_currency, func.min(c.low))))
            .group_by(c.number).order_by(calls.desc(), c.number).limit(top))


def _calls(t: Any, run: Run) -> Any:
    """A number's calls over the run: every day's first, the first day's carried."""
    return func.sum(t.c.first) + func.sum(case((t.c.day == run.first, t.c.carried), else_=0))


def destinations(conn: Connection, run: Run, live: Any, top: int) -> list[query.Destination]:
    """The `top` Destinations of the run and, when `live` is given (daily.destinations_statement's
    scope and parameters for the days after the run), of those days too: summed in the database, so
    the order (most calls first, then the number) is the database's, as query.destinations' is."""
    t = dashboard_destination
    stmt = _ranked(t.c, _calls(t, run), top).where(run.where(t))
    params: dict[str, Any] = {}
    if live is not None:  # the run's numbers summed first, then with the live days'
        scope, params = live
        days = (select(t.c.number, func.max(t.c.name).label("name"), _calls(t, run).label("calls"),
                       *(func.sum(t.c[n]).label(n) for n in ("billsec", "price", "unpriced")),
                       func.min(t.c.low).label("low"), func.max(t.c.high).label("high"))
                .where(run.where(t)).group_by(t.c.number))
        split = daily.destinations_statement(scope).subquery("live")
        rest = select(*(split.c[n] for n in ("dial_full", "name", "first", "billsec", "price", "unpriced", "low",
                                             "high")))
        both = union_all(days, rest).subquery("both")
        stmt = _ranked(both.c, func.sum(both.c.calls), top)
    return [query.Destination(number, name, int(n), int(s), None if p is None else int(p), cur)
            for number, name, n, s, p, cur in conn.execute(stmt, params)]
