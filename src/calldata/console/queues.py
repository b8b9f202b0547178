"""The queue statistics page (/queues): per queue and member, for some days, as `calldata report
queues` and POST /rest/queue/stats count them (calldata.reports.queues), under the reports' rule."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from calldata.auth.permissions import Forbidden, Identity, call_report
from calldata.console.companies import company_choices
from calldata.console.render import page
from calldata.console.signin import Gate
from calldata.queues.stats import DEFAULT_SERVICE_LEVEL
from calldata.reports.queues import COUNTS, WAITS, figures_between, zone_of
from calldata.reports.request import ReportError

MAX_DAYS = 92
MAX_SERVICE_LEVEL = 3600


class Asked(NamedTuple):
    """The page's question: whose callers, which days (included), which queue, the service level."""

    companies: tuple[str, ...] | None
    first: date
    last: date
    queue: str
    service_level: int


def asked(query: Mapping[str, str], today: date, allowed: frozenset[str] | None) -> Asked:
    """The question in the query string; ValueError names the field, PermissionError a company not allowed."""
    company = query.get("company", "").strip()
    if company and allowed is not None and company not in allowed:
        raise PermissionError(f"company {company[:40]!r}: not one you may see")
    days = []
    for field, default in (("from", today.replace(day=1)), ("to", today)):
        text = query.get(field, "").strip()
        try:
            days.append(date.fromisoformat(text) if text else default)
        except ValueError:
            raise ValueError(f"{field}: a day as YYYY-MM-DD, got {text[:40]!r}") from None
    first, last = days
    if last < first:
        raise ValueError("to: the last day comes before the first")
    if (last - first).days >= MAX_DAYS or not 1970 <= first.year <= last.year <= 9998:
        raise ValueError(f"to: at most {MAX_DAYS} days, from 1970 to 9998")
    level = query.get("service", str(DEFAULT_SERVICE_LEVEL)).strip()
    if not (level.isascii() and level.isdigit() and int(level) <= MAX_SERVICE_LEVEL):
        raise ValueError(f"service: whole seconds from 0 to {MAX_SERVICE_LEVEL}")
    companies = (company,) if company else None if allowed is None else tuple(sorted(allowed))
    return Asked(companies, first, last, query.get("queue", "").strip()[:80], int(level))


def counted(conn: Connection, question: Asked, display_tz: str) -> dict[str, Any]:
    """The figures of the callers who entered a queue on those days, in the company's zone."""
    zone = zone_of(conn, question.companies, display_tz)
    start, end = (datetime.combine(day, datetime.min.time(), zone)
                  for day in (question.first, question.last + timedelta(days=1)))
    queues = (question.queue,) if question.queue else ()
    return figures_between(conn, start, end, question.companies, queues, question.service_level)["values"]


def routes(reader: AsyncEngine, gate: Gate, common: Callable[[Identity], dict[str, Any]],
           display_tz: str) -> list[Route]:
    """/queues, behind the login, for the companies the reports' rule allows."""
    zone = ZoneInfo(display_tz)

    async def show(request: Request, identity: Identity, _companies: frozenset[str] | None) -> Response:
        query = request.query_params
        problem, status, values = "", 200, None
        try:
            allowed = call_report(identity)
        except Forbidden as exc:
            return page("error.html", 403, title="Not allowed", message=str(exc), **common(identity))
        async with reader.connect() as conn:
            choices = await conn.run_sync(company_choices, allowed)
            try:
                question = asked(query, datetime.now(zone).date(), allowed)
                values = await conn.run_sync(counted, question, display_tz)
            except PermissionError as exc:
                problem, status = str(exc), 403
            except ValueError as exc:
                problem, status = str(exc), 400
            except ReportError as exc:
                problem, status = f"{exc.key}: {exc.message}", 400
        return page("queues.html", status, title="Queues", form=query, problem=problem, values=values,
                    companies=choices, counts=COUNTS, waits=WAITS,
                    service=query.get("service", str(DEFAULT_SERVICE_LEVEL)), **common(identity))

    return [Route("/queues", gate.page(show), methods=["GET"], include_in_schema=False)]
