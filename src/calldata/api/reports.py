"""`POST /rest/call/incalls` and `/rest/call/outcalls`: parse -> permitted companies -> plan -> report -> respond.

No lock: each report is one indexed query per company on a connection of its own, so any
number run at once and `retry` is never answered (reports.md); `recalc` re-rates the period's
legs (reports.recalc) before the report is looked up. Identical reports asked at once
are built once, and kept until the store changes a leg they read (calldata.reports.cache); a
month is tabulated a day at a time, and only the days a change touched are tabulated again
(calldata.reports.kept: held in memory, and in the store for every server process). Identity and
permissions are checked on every request before that.
"""

from __future__ import annotations

import msgspec
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from calldata.api.call_read import Endpoint, request_body, visible_companies
from calldata.api.errors import ApiError, bad_request
from calldata.api.report_scope import report_request
from calldata.auth.permissions import report_refusal
from calldata.reports import changes
from calldata.reports.build import Plan, plan, tabulate
from calldata.reports.cache import ReportCache
from calldata.reports.changes import Mark
from calldata.reports.kept import KeptDays
from calldata.reports.recalc import recalculate
from calldata.reports.request import ReportError, ReportRequest
from calldata.store.engine import in_snapshot

KINDS = ("incalls", "outcalls")


def planned(conn: Connection, kind: str, request: ReportRequest, display_tz: str) -> tuple[Plan, Mark]:
    """The checked report (its legs priced again first when `recalc` asks) and the store's mark; a
    scope the calendar or the directory refuses is a 400 naming its key. The mark is read first
    (again after a re-rating), so a body kept under it is never older."""
    now = changes.current(conn)
    try:
        checked = plan(conn, kind, request, display_tz)
    except ReportError as exc:
        raise bad_request(f"scope.{exc.key}: {exc.message}") from None
    if request.recalc:
        recalculate(conn, checked)
        now = changes.current(conn)
    return checked, now


def endpoint(engine: AsyncEngine, kind: str, display_tz: str, cache: ReportCache, kept: KeptDays,
             writer: AsyncEngine) -> Endpoint:
    """`engine` reads (a replica's or the primary's), `writer` (the primary's) stores the days built."""
    async def build(checked: Plan) -> bytes:
        found = await in_snapshot(engine, lambda conn: tabulate(conn, checked, kept))  # its days: one state
        await kept.save_on(writer)
        return msgspec.json.encode({"result": "success", "values": found})

    async def unchanged(checked: Plan, since: Mark, now: Mark) -> bool:
        async with engine.connect() as conn:
            return await conn.run_sync(kept.untouched, since, now, checked.spans())

    async def call_report(request: Request) -> Response:
        """One company's calls in per extension, or out per device, for one period (reports.md)."""
        wanted = report_request(await request_body(request), kind)
        allowed = visible_companies(request)
        for company in wanted.companies:
            if allowed is not None and company not in allowed:
                raise ApiError(403, report_refusal(company))
        async with engine.connect() as conn:
            checked, now = await conn.run_sync(planned, kind, wanted, display_tz)
        body = await cache.get(checked, now, lambda: build(checked), lambda since: unchanged(checked, since, now))
        return Response(body, media_type="application/json")

    return call_report
