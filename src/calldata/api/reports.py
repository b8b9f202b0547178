"""`POST /rest/call/incalls` and `/rest/call/outcalls`: parse -> permitted companies -> report -> respond.

No lock: each report is one indexed query per company on a connection of its own, so any
number run at once and `retry` is never answered (reports.md).
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from calldata.api.call_read import Endpoint, request_body, visible_companies
from calldata.api.errors import ApiError, bad_request
from calldata.api.report_scope import report_request
from calldata.auth.permissions import report_refusal
from calldata.reports.build import report
from calldata.reports.request import ReportError, ReportRequest

KINDS = ("incalls", "outcalls")


def values(conn: Connection, kind: str, request: ReportRequest, display_tz: str) -> dict[str, Any]:
    """The report's values; a scope the calendar or the directory refuses is a 400 naming its key."""
    try:
        return report(conn, kind, request, display_tz)
    except ReportError as exc:
        raise bad_request(f"scope.{exc.key}: {exc.message}") from None


def endpoint(engine: AsyncEngine, kind: str, display_tz: str) -> Endpoint:
    async def call_report(request: Request) -> Response:
        """One company's calls in per extension, or out per device, for one period (reports.md)."""
        wanted = report_request(await request_body(request), kind)
        allowed = visible_companies(request)
        for company in wanted.companies:
            if allowed is not None and company not in allowed:
                raise ApiError(403, report_refusal(company))
        async with engine.connect() as conn:
            found = await conn.run_sync(values, kind, wanted, display_tz)
        return Response(msgspec.json.encode({"result": "success", "values": found}), media_type="application/json")

    return call_report
