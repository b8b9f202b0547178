"""`POST /rest/call/read`: parse -> validate the scope -> (identity hook) -> read a page -> respond.

The database renders each row's JSON (calldata.store.reads); this module only assembles the
envelope around the page, so a request costs a few small allocations however many rows it has.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from calldata.api.errors import bad_request
from calldata.api.prefetch import Prefetcher
from calldata.api.scope import ReadQuery, parse_body, read_query
from calldata.store.reads import Page, read_page

Endpoint = Callable[[Request], Awaitable[Response]]


async def request_body(request: Request) -> dict[str, Any]:
    """The JSON body; an identity layer that already parsed it leaves it in `request.state.body`."""
    body = getattr(request.state, "body", None)
    if body is None:
        body = parse_body(await request.body())
    return body


def visible_companies(request: Request) -> Collection[str] | None:
    """The identity hook: the companies whose rows this caller may see, or None for every row.

    An authenticating middleware sets `request.state.companies`; without one the API is open.
    """
    return getattr(request.state, "companies", None)


def envelope(query: ReadQuery, page: Page) -> bytes:
    """The success answer (call-read.md, Response) around the page's pre-rendered rows."""
    head = msgspec.json.encode(
        {"result": "success", "minID": query.min_id, "maxRows": query.max_rows,
         "numRows": page.count, "numrows": page.count}
    )
    return b"".join((head[:-1], b',"values":', page.values, b"}"))


def endpoint(engine: AsyncEngine, max_rows_cap: int, ahead: Prefetcher) -> Endpoint:
    async def call_read(request: Request) -> Response:
        """Up to maxRows CDRs from minID on, in acctid order (call-read.md)."""
        body = await request_body(request)
        query = read_query(body, request.path_params.get("type"), max_rows_cap)
        if query.queuedata:
            raise bad_request("queuedata: not supported yet")
        companies = visible_companies(request)

        async def read(min_id: int) -> Page:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: read_page(
                        sync,
                        min_id=min_id,
                        max_rows=query.max_rows,
                        min_date=query.min_date,
                        max_date=query.max_date,
                        cachedata=query.cachedata,
                        companies=companies,
                    )
                )

        page = await ahead.page(query, companies, read)
        return Response(envelope(query, page), media_type="application/json")

    return call_read
