"""The call reports page (/reports: incalls per extension, outcalls per device) and its CSV
(/reports.csv): reports/ plans and tabulates them exactly as for /rest/call/incalls and outcalls."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from calldata.auth.permissions import Identity, call_report
from calldata.console.companies import company_choices
from calldata.console.render import HEADERS, page
from calldata.console.signin import Gate
from calldata.console.statements import asked
from calldata.reports.build import COLUMNS, KINDS, plan, tabulate
from calldata.reports.request import ReportError, ReportRequest


def rows(kind: str, values: dict[str, Any], zone: ZoneInfo) -> list[list[Any]]:
    """The report as one row per call: the extension or device, its name, then the report's columns
    (the time in `zone`); a value the call lacks (a cost not priced) is empty."""
    members = [member for _, member in COLUMNS[kind]]
    return [[key, entry["name"], *(datetime.fromtimestamp(call[m], zone).strftime("%Y-%m-%d %H:%M:%S")
                                   if m == "calldate" else call.get(m, "") for m in members)]
            for key, entry in values.items() for call in entry["calls"]]


def routes(reader: AsyncEngine, gate: Gate, display_tz: str) -> list[Route]:
    """/reports and /reports.csv, behind the login, for the companies the reports' rule allows."""
    zone = ZoneInfo(display_tz)

    async def tabulated(request: Request, companies: frozenset[str] | None) -> tuple[dict[str, Any], int]:
        kind = request.query_params.get("kind", "incalls")
        async with reader.connect() as conn:
            choices = await conn.run_sync(company_choices, companies)
            company, month, problems, forbidden = asked(request, companies, choices, display_tz)
            if kind not in KINDS:
                problems.append(f"kind: incalls or outcalls, not {kind[:40]!r}")
            values = None
            if company and not problems:
                year, number = (int(part) for part in month.split("-"))
                try:
                    checked = await conn.run_sync(plan, kind, ReportRequest((company,), year, number), display_tz)
                    values = await conn.run_sync(tabulate, checked)
                except ReportError as exc:
                    problems.append(f"{exc.key}: {exc.message}")
        form = {"kind": kind, "company": company, "month": month, "problems": problems, "choices": choices,
                "values": values}
        return form, 403 if forbidden else 400 if problems else 200

    async def show(request: Request, identity: Identity, companies: frozenset[str] | None) -> Response:
        """A company's month of incalls (per extension) or outcalls (per device), and a link to its CSV."""
        form, status = await tabulated(request, companies)
        table = rows(form["kind"], form["values"], zone) if form["values"] is not None else []
        return page("reports.html", status, title="Call reports", form=form, kinds=tuple(KINDS), table=table,
                    headings=[heading for heading, _ in COLUMNS.get(form["kind"], ())], zone=display_tz,
                    **gate.context(identity))

    async def download(request: Request, identity: Identity, companies: frozenset[str] | None) -> Response:
        """The same report as CSV: one row per call."""
        form, status = await tabulated(request, companies)
        if form["values"] is None:
            return page("error.html", status if status != 200 else 400, title="No report",
                        message="; ".join(form["problems"]) or "Choose a company.", **gate.context(identity))
        kind = form["kind"]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["extension" if kind == "incalls" else "device", "name",
                         *(heading for heading, _ in COLUMNS[kind])])
        writer.writerows(rows(kind, form["values"], zone))
        name = f"{kind}-{form['company']}-{form['month']}.csv"
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})

    return [Route("/reports", gate.page(show, call_report), methods=["GET"], include_in_schema=False),
            Route("/reports.csv", gate.page(download, call_report), methods=["GET"], include_in_schema=False)]
