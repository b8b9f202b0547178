"""The call reports page (/reports: incalls per extension, outcalls per device) and its CSV
(/reports.csv): reports/ plans and tabulates them exactly as for /rest/call/incalls and outcalls.

The page shows a line per extension or device (reports.summary), each opening its calls (`key=`):
a 100-extension company's month is ~15,000 calls, too many to read or to render on one page.
"""

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
from calldata.console.render import HEADERS, page, safe_name
from calldata.console.signin import Gate
from calldata.console.statements import asked
from calldata.reports import changes, summary
from calldata.reports.build import COLUMNS, KINDS, Plan, plan, tabulate
from calldata.reports.cache import ReportCache
from calldata.reports.changes import Mark
from calldata.reports.kept import KeptDays
from calldata.reports.request import ReportError, ReportRequest
from calldata.store.engine import in_snapshot


def rows(kind: str, values: dict[str, Any], zone: ZoneInfo) -> list[list[Any]]:
    """The report as one row per call: the extension or device, its name, then the report's columns
    (the time in `zone`); a value the call lacks (a cost not priced) is empty."""
    members = [member for _, member in COLUMNS[kind]]
    return [[key, entry["name"], *(datetime.fromtimestamp(call[m], zone).strftime("%Y-%m-%d %H:%M:%S")
                                   if m == "calldate" else call.get(m, "") for m in members)]
            for key, entry in values.items() for call in entry["calls"]]


KEPT_BYTES = 256 * 1024 * 1024
CALL_BYTES = 1000  # what a report's call takes in memory as a dict of its ~9 members, about


def footprint(values: dict[str, Any]) -> int:
    """About the bytes a report's values take in memory."""
    return CALL_BYTES * (1 + sum(len(entry["calls"]) for entry in values.values()))


def routes(reader: AsyncEngine, gate: Gate, display_tz: str, kept: KeptDays, writer: AsyncEngine) -> list[Route]:
    """/reports and /reports.csv, behind the login, for the companies the reports' rule allows; the
    day tables built are stored on `writer` (the primary's)."""
    zone = ZoneInfo(display_tz)
    # a report is tabulated once for its summary, its keys and its CSV, until a leg it read changes;
    # kept as values (never changed once built), not encoded: a view reads them as they are
    cache = ReportCache(max_bytes=KEPT_BYTES, size=footprint)

    async def report(checked: Plan, now: Mark) -> dict[str, Any]:
        async def build() -> dict[str, Any]:  # its days read in one snapshot: one state of the store
            values = await in_snapshot(reader, lambda conn: tabulate(conn, checked, kept))
            await kept.save_on(writer)
            return values

        async def unchanged(since: Mark) -> bool:
            async with reader.connect() as conn:
                return await conn.run_sync(kept.untouched, since, now, checked.spans())
        found: dict[str, Any] = await cache.get(checked, now, build, unchanged)
        return found

    async def tabulated(request: Request, companies: frozenset[str] | None) -> tuple[dict[str, Any], int]:
        kind = request.query_params.get("kind", "incalls")
        key = request.query_params.get("key", "").strip()[:80]
        async with reader.connect() as conn:
            choices = await conn.run_sync(company_choices, companies)
            company, month, problems, forbidden = asked(request, companies, choices, display_tz)
            if kind not in KINDS:
                problems.append(f"kind: incalls or outcalls, not {kind[:40]!r}")
            checked = now = None
            if company and not problems:
                year, number = (int(part) for part in month.split("-"))
                try:
                    now = await conn.run_sync(changes.current)  # before the plan: a report kept under it is never older
                    checked = await conn.run_sync(plan, kind, ReportRequest((company,), year, number), display_tz)
                except ReportError as exc:
                    problems.append(f"{exc.key}: {exc.message}")
        values = None if checked is None else await report(checked, now)
        if values is not None and key:
            values = {key: values.get(key, {"name": "", "calls": []})}
        form = {"kind": kind, "company": company, "month": month, "key": key, "problems": problems,
                "choices": choices, "values": values}
        return form, 403 if forbidden else 400 if problems else 200

    async def show(request: Request, identity: Identity, companies: frozenset[str] | None) -> Response:
        """A company's month: a line per extension (incalls) or device (outcalls); one key's calls when asked."""
        form, status = await tabulated(request, companies)
        values = form["values"]
        each = [] if values is None else summary.lines(values)
        table = rows(form["kind"], values, zone) if values is not None and form["key"] else []
        return page("reports.html", status, title="Call reports", form=form, kinds=tuple(KINDS), table=table,
                    lines=each, total=summary.total(each), headings=[heading for heading, _ in COLUMNS.get(form["kind"], ())],
                    zone=display_tz, **gate.context(identity))

    async def download(request: Request, identity: Identity, companies: frozenset[str] | None) -> Response:
        """The same report as CSV: one row per call (of one key, when asked)."""
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
        name = "-".join(part for part in (kind, form["company"], form["month"], form["key"]) if part)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{safe_name(name)}.csv"'})

    return [Route("/reports", gate.page(show, call_report), methods=["GET"], include_in_schema=False),
            Route("/reports.csv", gate.page(download, call_report), methods=["GET"], include_in_schema=False)]

