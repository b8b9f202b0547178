"""`POST /rest/call/read`: parse -> validate the scope -> (identity hook) -> read a page -> respond.

The database renders each row's JSON (calldata.store.reads); this module only assembles the
envelope around the page, so a request costs a few small allocations however many rows it has.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Hashable
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from calldata.api.prefetch import Prefetcher
from calldata.api.scope import ReadQuery, parse_body, read_query
from calldata.api.unavailable import unavailable
from calldata.store.asyncpg_pool import AsyncpgPool
from calldata.store.reads import Page, PageQuery, read_page, read_page_pooled
from calldata.store.retry import StoreUnavailable

Endpoint = Callable[[Request], Awaitable[Response]]
PageReader = Callable[[PageQuery], Awaitable[Page]]


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


def identity_of(request: Request) -> Hashable:
    """Who asks (the user behind the key, session or password; None on an open API): the pages
    read ahead for one identity share a budget."""
    identity = getattr(request.state, "identity", None)
    return None if identity is None else identity.user_id


def envelope(query: ReadQuery, page: Page) -> bytes:
    """The success answer (call-read.md, Response) around the page's pre-rendered rows."""
    head = msgspec.json.encode(
        {"result": "success", "minID": query.min_id, "maxRows": query.max_rows,
         "numRows": page.count, "numrows": page.count}
    )
    return b"".join((head[:-1], b',"values":', page.values, b"}"))


def page_reader(engine: AsyncEngine, pool: AsyncpgPool | None) -> PageReader:
    """Pages from the asyncpg pool when there is one (PostgreSQL), else through the engine."""
    if pool is not None:
        return lambda query: read_page_pooled(pool, query)

    async def on_engine(query: PageQuery) -> Page:
        async with engine.connect() as conn:
            return await conn.run_sync(read_page, query)

    return on_engine


def endpoint(read_pages: PageReader, max_rows_cap: int, ahead: Prefetcher) -> Endpoint:
    async def call_read(request: Request) -> Response:
        """Up to maxRows CDRs from minID on, in acctid order (call-read.md)."""
        body = await request_body(request)
        query = read_query(body, request.path_params.get("type"), max_rows_cap)
        companies = visible_companies(request)

        def read(min_id: int) -> Awaitable[Page]:
            return read_pages(
                PageQuery(min_id, query.max_rows, query.min_date, query.max_date, query.cachedata, companies,
                          query.queuedata)
            )

        try:
            page = await ahead.page(query, companies, read, identity_of(request))
        except StoreUnavailable as exc:
            return unavailable(exc)
        return Response(envelope(query, page), media_type="application/json")

    return call_read
