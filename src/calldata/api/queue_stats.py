"""`POST /rest/queue/stats`: parse -> permitted companies -> the period's queue figures -> respond."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from calldata.api.call_read import Endpoint, request_body, visible_companies
from calldata.api.errors import ApiError, bad_request
from calldata.api.report_scope import _companies, _names
from calldata.api.scope import _integer, checked_scope
from calldata.auth.permissions import report_refusal
from calldata.queues.stats import DEFAULT_SERVICE_LEVEL
from calldata.reports.period import MAX_DAYS
from calldata.reports.queues import QueueStatsRequest, queue_stats
from calldata.reports.request import ReportError

SCOPE_KEYS = ("company", "year", "month", "day", "days", "queues", "serviceLevel")
MAX_SERVICE_LEVEL = 86_400  # seconds: a day


def stats_request(body: dict[str, Any]) -> QueueStatsRequest:
    """Check `type` and `scope` (docs/api.md, Queue statistics); companies are checked later
    against the directory."""
    scope = checked_scope(body, None, SCOPE_KEYS)
    day = _integer(scope, "day", 1, 31)
    days = _integer(scope, "days", 1, MAX_DAYS)
    if days is not None and day is None:
        raise bad_request("scope.days: needs scope.day (the first day of the period)")
    level = _integer(scope, "serviceLevel", 0, MAX_SERVICE_LEVEL)
    company = scope.get("company")
    return QueueStatsRequest(
        companies=None if company is None else _companies(company),
        year=_integer(scope, "year", 1970, 9998),
        month=_integer(scope, "month", 1, 12),
        day=day,
        days=1 if days is None else days,
        queues=_names(scope, "queues"),
        service_level=DEFAULT_SERVICE_LEVEL if level is None else level,
    )


def permitted(wanted: QueueStatsRequest, allowed: frozenset[str] | None) -> QueueStatsRequest:
    """The request limited to what the caller may see: a scoped caller asking no company gets its
    own companies; asking another's is a 403."""
    if allowed is None:
        return wanted
    if wanted.companies is None:
        return replace(wanted, companies=tuple(sorted(allowed)))
    for company in wanted.companies:
        if company not in allowed:
            raise ApiError(403, report_refusal(company))
    return wanted


def endpoint(engine: AsyncEngine, display_tz: str) -> Endpoint:
    async def stats(request: Request) -> Response:
        """Per queue: calls offered, answered, abandoned..., waits, service level, members (docs/queues.md)."""
        allowed = visible_companies(request)
        wanted = permitted(stats_request(await request_body(request)), None if allowed is None else frozenset(allowed))
        try:
            async with engine.connect() as conn:
                found = await conn.run_sync(queue_stats, wanted, display_tz)
        except ReportError as exc:
            raise bad_request(f"scope.{exc.key}: {exc.message}") from None
        return Response(msgspec.json.encode({"result": "success", **found}), media_type="application/json")

    return stats
