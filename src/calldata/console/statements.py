"""The monthly statement page (/statements) and its CSV (/statements.csv): statements/ builds both,
for the companies the reports' rule allows (the API's /rest/call/incalls rule). A statement once
built is kept for everyone who asks until a leg of its month or the directory changes."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from calldata.auth.permissions import Identity, call_report
from calldata.console.companies import company_choices
from calldata.console.render import HEADERS, page
from calldata.console.signin import Gate
from calldata.reports import changes
from calldata.reports.cache import ReportCache
from calldata.reports.changes import Stamp
from calldata.reports.request import ReportError
from calldata.statements.build import Statement
from calldata.statements.monthly import company_statement
from calldata.statements.render import statement_csv

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
FIRST_YEAR, LAST_YEAR = 1970, 9998  # the API's bounds of scope.year (api/report_scope.py)
ZONES = (timedelta(hours=14), timedelta(hours=12))  # a local month starts and ends within these of UTC's


def asked(request: Request, companies: Collection[str] | None, choices: list[tuple[str, str]],
          zone: str) -> tuple[str, str, list[str], bool]:
    """The company and month asked for (defaults: the reader's first company, this month), the
    problems with them, and whether the company is one the reader may not see."""
    company = request.query_params.get("company", "").strip()[:40] or (choices[0][0] if choices else "")
    month = request.query_params.get("month", "").strip()[:20] or datetime.now(UTC).astimezone(ZoneInfo(zone)).strftime("%Y-%m")
    found = _MONTH.fullmatch(month)
    problems = [] if found and FIRST_YEAR <= int(found[1]) <= LAST_YEAR else [
        f"month: a month (YYYY-MM) of {FIRST_YEAR}-{LAST_YEAR}, not {month!r}"]
    forbidden = bool(company) and companies is not None and company not in companies
    if forbidden:
        problems.append(f"company: {company!r} is not one whose statements you may see")
    return company, month, problems, forbidden


def month_span(year: int, month: int) -> tuple[int, int]:
    """Epoch seconds holding the month in every zone: from 14 h before UTC's month (where a UTC+14
    zone's month starts) to 12 h after it (where a UTC-12 zone's month ends)."""
    first = datetime(year, month, 1, tzinfo=UTC)
    after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return int((first - ZONES[0]).timestamp()), int((after + ZONES[1]).timestamp())


def routes(reader: AsyncEngine, gate: Gate, display_tz: str) -> list[Route]:
    """/statements and /statements.csv, behind the login."""
    cache = ReportCache()

    async def statement_of(company: str, year: int, number: int) -> Statement:
        """Built once for everyone, kept until a leg of the month or the directory changes."""
        async with reader.connect() as conn:
            now = await conn.run_sync(changes.stamp)  # before the statement: one kept under it is never older

        async def build() -> bytes:
            async with reader.connect() as conn:
                return msgspec.json.encode(await conn.run_sync(company_statement, company, year, number, display_tz))

        async def unchanged(since: Stamp) -> bool:
            async with reader.connect() as conn:
                return await conn.run_sync(changes.still, since, now, [month_span(year, number)])
        return msgspec.json.decode(await cache.get((company, year, number), now, build, unchanged), type=Statement)

    async def built(request: Request, companies: frozenset[str] | None
                    ) -> tuple[Statement | None, dict[str, Any], int]:
        async with reader.connect() as conn:
            choices = await conn.run_sync(company_choices, companies)
        company, month, problems, forbidden = asked(request, companies, choices, display_tz)
        found = None
        if company and not problems:
            year, number = (int(part) for part in month.split("-"))
            try:
                found = await statement_of(company, year, number)
            except ReportError as exc:
                problems.append(f"{exc.key}: {exc.message}")
        status = 403 if forbidden else 400 if problems else 200
        return found, {"company": company, "month": month, "problems": problems, "choices": choices}, status

    async def show(request: Request, identity: Identity, companies: frozenset[str] | None) -> Response:
        """A company's month: per destination, per extension, total; a link to its CSV."""
        found, form, status = await built(request, companies)
        return page("statement.html", status, title="Monthly statement", s=found, form=form,
                    **gate.context(identity))

    async def csv(request: Request, identity: Identity, companies: frozenset[str] | None) -> Response:
        """The same statement as CSV (statements/render.py: the CLI's --format csv)."""
        found, form, status = await built(request, companies)
        if found is None:
            return page("error.html", status if status != 200 else 400, title="No statement",
                        message="; ".join(form["problems"]) or "Choose a company.", **gate.context(identity))
        name = f"statement-{found.company}-{found.month}.csv"
        return Response(statement_csv(found), media_type="text/csv; charset=utf-8",
                        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})

    return [Route("/statements", gate.page(show, call_report), methods=["GET"], include_in_schema=False),
            Route("/statements.csv", gate.page(csv, call_report), methods=["GET"], include_in_schema=False)]
