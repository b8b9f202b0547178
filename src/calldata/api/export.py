"""`POST /rest/call/export`: a whole window of legs or calls streamed as CSV or NDJSON (docs/api.md, Export).

Each batch is one keyset query (on PostgreSQL the legs CSV is a COPY of it); the next is read
while one is sent, so at most three batches are in memory however many rows the window holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from contextlib import aclosing
from typing import Any
from zoneinfo import ZoneInfo

import anyio
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from calldata.api.call_read import Endpoint, request_body, visible_companies
from calldata.api.errors import bad_request
from calldata.api.scope import _flag, _show, checked_scope, one_company, read_query
from calldata.calls.export import FORMATS, KINDS, Export, chunk_async, header
from calldata.store.csv_copy import Batch

SCOPE_KEYS = ("minDate", "maxDate", "company", "kind", "format", "bom")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}


def _choice(scope: dict[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = scope.get(key, choices[0])
    if value not in choices:
        raise bad_request(f"scope.{key}: one of {', '.join(choices)}, not {_show(value)}")
    return str(value)


def export_request(body: dict[str, Any], allowed: Collection[str] | None, zone: ZoneInfo) -> Export:
    """Check `scope`; `company` narrows the export to one company the caller may see (403 otherwise)."""
    scope = checked_scope(body, None, SCOPE_KEYS)
    window = read_query({"scope": {k: v for k, v in scope.items() if k in ("minDate", "maxDate")}}, None, 1)
    return Export(
        kind=_choice(scope, "kind", KINDS),
        format=_choice(scope, "format", FORMATS),
        min_date=window.min_date,
        max_date=window.max_date,
        companies=one_company(scope, allowed),
        bom=_flag(scope, "bom"),
        zone=zone,
    )


async def _read_ahead(conn: AsyncConnection, wanted: Export) -> AsyncIterator[bytes]:
    """The export's batches, the next one read while this one is sent (the two overlap: bench/RESULTS.md).

    A batch in flight is never cancelled, only waited for (2000 rows: milliseconds), even when
    the client is gone: psycopg leaves a connection cancelled mid-COPY busy or closed, and it
    would go back to the pool so.
    """
    batch: asyncio.Future[Batch] | None = asyncio.ensure_future(chunk_async(conn, wanted, 0))
    try:
        while batch is not None:
            data, after, _ = await asyncio.shield(batch)  # a cancelled answer does not cancel the batch
            batch = None if after is None else asyncio.ensure_future(chunk_async(conn, wanted, after))
            if data:
                yield data
    finally:
        if batch is not None:
            with anyio.CancelScope(shield=True):  # anyio repeats the answer's cancel at every await
                await asyncio.wait([batch])
            if not batch.cancelled():
                batch.exception()  # the client is gone: nobody is left to tell of a failed batch


def endpoint(engine: AsyncEngine, display_tz: str) -> Endpoint:
    zone = ZoneInfo(display_tz)

    async def export(request: Request) -> Response:
        """Every leg or call of the window, streamed (the download ends when the last batch is sent)."""
        wanted = export_request(await request_body(request), visible_companies(request), zone)

        async def stream() -> AsyncIterator[bytes]:
            # aclosing: the batch in flight has ended before its connection goes back to the pool
            async with engine.connect() as conn, aclosing(_read_ahead(conn, wanted)) as batches:
                yield header(wanted)
                async for data in batches:
                    yield data

        name = f"calldata-{wanted.kind}.{wanted.format}"
        return StreamingResponse(stream(), media_type=MEDIA_TYPES[wanted.format],
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return export
