"""`POST /rest/call/calls`: calls built from their legs, paged by first acctid or by change (docs/api.md, Calls)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from calldata.api.call_read import Endpoint, request_body, visible_companies
from calldata.api.errors import bad_request
from calldata.api.scope import _MAX_ID, _integer, checked_scope, read_query
from calldata.calls.page import by_change, by_first_id
from calldata.store.calls import CallScope

SCOPE_KEYS = ("minID", "maxRows", "minDate", "maxDate", "changed")


@dataclass(frozen=True, slots=True)
class CallsQuery:
    """A validated calls request: a page by first acctid (`changed` None) or of the change feed."""

    max_rows: int
    scope: CallScope
    changed: int | None


def calls_query(body: dict[str, Any], max_rows_cap: int) -> CallsQuery:
    """Check `scope` as /rest/call/read does; `changed` pages the change feed and takes only maxRows."""
    scope = checked_scope(body, None, SCOPE_KEYS)
    changed = _integer(scope, "changed", 0, _MAX_ID)
    if changed is not None:
        others = sorted(set(scope) & {"minID", "minDate", "maxDate"})
        if others:
            raise bad_request(f"scope.{others[0]}: not with scope.changed (the change feed pages by sequence)")
    read = read_query({"scope": {k: v for k, v in scope.items() if k != "changed"}}, None, max_rows_cap)
    return CallsQuery(read.max_rows, CallScope(read.min_id or 0, read.min_date, read.max_date), changed)


def endpoint(engine: AsyncEngine, max_rows_cap: int, display_tz: str) -> Endpoint:
    zone = ZoneInfo(display_tz)

    async def calls(request: Request) -> Response:
        """Up to maxRows calls from minID on by first acctid, or changed after `changed` by change."""
        query = calls_query(await request_body(request), max_rows_cap)
        companies = visible_companies(request)
        async with engine.connect() as conn:
            if query.changed is None:
                values = await conn.run_sync(by_first_id, query.scope._replace(companies=companies),
                                             query.max_rows, zone)
            else:
                values = await conn.run_sync(by_change, query.changed, query.max_rows, zone, companies)
        head: dict[str, Any] = {"result": "success", "maxRows": query.max_rows, "numRows": len(values)}
        if query.changed is None:
            head |= {"minID": query.scope.min_id, "nextID": values[-1]["firstID"] + 1 if values else None}
        else:
            head |= {"changed": query.changed, "nextChanged": values[-1]["changed"] if values else query.changed}
        return Response(msgspec.json.encode({**head, "values": values}), media_type="application/json")

    return calls
