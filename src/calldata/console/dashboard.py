"""The dashboard page: a company's (or the operator's) day or month, drawn by Chart.js.

The figures are calldata.dashboards'; this module picks the period and the companies from the
query string (only companies the reader may see), keeps each built dashboard until the store
changes a leg it read (reports.cache, as the API's reports are) or the directory, and hands
the figures to the page both as tables and as JSON for static/dashboard.js to draw. Closed days
(the operator's, a company's, the set of companies a user may see) are stored figures
(dashboards.kept), made sure of on the primary (`engine`: they may be built); a period with no
closed day is read live on the `reader`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from calldata.auth.permissions import SYSTEM_ADMIN, Identity
from calldata.console.companies import company_choices
from calldata.console.render import page
from calldata.console.signin import Gate
from calldata.dashboards.build import Asked, from_store, reads, shaped, stored_plan
from calldata.dashboards.figures import Dashboard
from calldata.dashboards.period import Period
from calldata.dashboards.query import MARGIN, Scope
from calldata.reports.cache import ReportCache
from calldata.reports import changes
from calldata.reports.changes import Stamp

FIRST_YEAR, LAST_YEAR = 1970, 9998


class Question(NamedTuple):
    """What the query string asks for: the period, whose calls, and what was wrong with it."""

    period: Period
    scope: Scope
    problem: str = ""
    forbidden: bool = False


def _period(query: Mapping[str, str], today: date) -> Period:
    """`day=YYYY-MM-DD` (by the hour), else `month=YYYY-MM` (by the day), else this month."""
    day, month = query.get("day", "").strip(), query.get("month", "").strip()
    if day:
        try:
            asked = date.fromisoformat(day)
        except ValueError:
            raise ValueError(f"day: a day as YYYY-MM-DD, got {day[:40]!r}") from None
        if not FIRST_YEAR <= asked.year <= LAST_YEAR:
            raise ValueError(f"day: a year from {FIRST_YEAR} to {LAST_YEAR}")
        return Period.day(asked)
    if not month:
        return Period.month(today.year, today.month)
    try:
        year, number = (int(part) for part in month.split("-"))
        if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= number <= 12) or len(month) != 7:
            raise ValueError
    except ValueError:
        raise ValueError(f"month: a month as YYYY-MM from {FIRST_YEAR} to {LAST_YEAR}, got {month[:40]!r}") from None
    return Period.month(year, number)


def question_of(query: Mapping[str, str], today: date, visible: frozenset[str] | None) -> Question:
    """The period and scope the query string asks for; a company the reader may not see is refused."""
    company = query.get("company", "").strip()
    scope = Scope(visible if not company else frozenset({company}))
    try:
        period = _period(query, today)
    except ValueError as problem:
        return Question(Period.month(today.year, today.month), Scope(frozenset()), str(problem))
    if company and visible is not None and company not in visible:
        return Question(period, Scope(frozenset()), f"company {company[:40]!r}: not one you may see", True)
    return Question(period, scope)


def _unchanged(conn: Connection, since: Stamp, now: Stamp, period: Period, zone: ZoneInfo) -> bool:
    """No leg the dashboard read (its period's and MARGIN around it) changed, nor the directory."""
    start, end = period.bounds(zone)
    return changes.still(conn, since, now, [(int((start - MARGIN).timestamp()), int((end + MARGIN).timestamp()))])


def routes(gate: Gate, common: Callable[[Identity], dict[str, Any]], engine: AsyncEngine, reader: AsyncEngine,
           zone: ZoneInfo) -> list[Route]:
    """/dashboard, for anyone who may read calls (the scope of /calls)."""
    cache = ReportCache()

    async def run(work: Callable[[Connection], Any], on: AsyncEngine = reader) -> Any:
        async with on.connect() as conn:
            return await conn.run_sync(work)

    async def figures(question: Question, show_cost: bool) -> Dashboard:
        """The dashboard, built once for everyone who asks the same until a leg it read or the directory changes."""
        stamp = await run(changes.stamp)
        key = ("dashboard", question.scope, question.period, show_cost)

        async def unchanged(since: Stamp) -> bool:
            return bool(await run(lambda conn: _unchanged(conn, since, stamp, question.period, zone)))

        async def build() -> bytes:
            wanted = Asked(question.scope, question.period, zone, show_cost)
            plan = stored_plan(wanted)
            if plan is not None:
                return msgspec.json.encode(shaped(wanted, await run(from_store(wanted, plan), engine)))
            read = await asyncio.gather(*(run(each) for each in reads(wanted)))  # at once, on connections of their own
            return msgspec.json.encode(shaped(wanted, list(read)))

        return msgspec.json.decode(await cache.get(key, stamp, build, unchanged), type=Dashboard)

    async def show(request: Request, identity: Identity, visible: frozenset[str] | None) -> Response:
        question = question_of(request.query_params, datetime.now(zone).date(), visible)
        async with reader.connect() as conn:
            choices = await conn.run_sync(company_choices, visible)
        status = 403 if question.forbidden else 400 if question.problem else 200
        shown = None if question.problem else await figures(question, identity.holds(SYSTEM_ADMIN))
        return page("dashboard.html", status, title="Dashboard", asked=question, shown=shown,
                    data=None if shown is None else msgspec.to_builtins(shown), form=request.query_params,
                    companies=choices, zone_name=zone.key, **common(identity))

    return [Route("/dashboard", gate.page(show), methods=["GET"], include_in_schema=False)]
