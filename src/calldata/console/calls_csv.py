"""/calls.csv: every call the call browser's filter matches, not only the page shown, as CSV with
the page's columns, in the page's order, streamed a keyset batch at a time (calldata.calls.browse:
memory stays the same whatever the size, and a filter that matches little still finishes: each
batch searches on from where the last stopped)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from calldata.auth.permissions import Identity
from calldata.calls.browse import CallFilter, Cursor
from calldata.calls.browse import page as call_page
from calldata.console.filters import parse
from calldata.console.render import HEADERS, events, page, safe_name

BATCH = 500  # calls a statement: the page's own query, 500 at a time
BOM = "\ufeff"  # lets Excel open UTF-8 CSV with non-ASCII names intact


def heading(zone: str) -> list[str]:
    """The header row: the page's columns, the times' zone named."""
    return [f"start ({zone})", "direction", "from", "from company", "dialled", "answered by", "answered company",
            "outcome", "ring seconds", "talk seconds", "price", "recorded", "events", "call"]


def row(call: dict[str, Any]) -> list[Any]:
    """A call as the page shows it (seconds as numbers, for a spreadsheet)."""
    caller, answered = call["caller"], call["answered"] or {}
    return [call["start"][:19], call["direction"] or "undecided", caller["extension"] or caller["number"],
            caller["company"] or "", call["dialled"], answered.get("extension") or answered.get("number") or "",
            answered.get("company") or "", call["outcome"], call["ring"], call["talk"], ", ".join(call["prices"]),
            "yes" if call["recorded"] else "", events(call), call["call"]]


def text(rows: Sequence[Sequence[Any]]) -> str:
    """RFC 4180 lines (CRLF)."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


async def batches(reader: AsyncEngine, filt: CallFilter, companies: frozenset[str] | None,
                  zone: ZoneInfo, size: int = BATCH) -> AsyncIterator[list[dict[str, Any]]]:
    """Every matching call from the first, `size` at a time, each batch read on a connection of its own."""
    cursor: Cursor | None = None
    while True:
        async with reader.connect() as conn:
            found = await conn.run_sync(call_page, filt, companies, cursor, False, size, zone)
        if found.calls:
            yield found.calls
        cursor = found.after or found.searched_to
        if cursor is None:
            return


def route(reader: AsyncEngine, display_tz: str, common: Callable[[Identity], dict[str, Any]]) -> Any:
    """The /calls.csv handler, for calldata.console.signin.Gate.page (behind the login, with the
    companies the reader may see)."""
    zone = ZoneInfo(display_tz)

    async def download(request: Request, identity: Identity, companies: frozenset[str] | None) -> Response:
        browse = parse(request.query_params, zone, companies)
        if browse.problems:
            return page("error.html", 403 if browse.forbidden else 400, title="No download",
                        message="; ".join(browse.problems), **common(identity))

        async def body() -> AsyncIterator[bytes]:
            yield (BOM + text([heading(display_tz)])).encode()
            async for calls in batches(reader, browse.filter, companies, zone):
                yield text([row(call) for call in calls]).encode()

        name = "-".join(["calls", *(v for k, v in browse.form.items() if v and k not in ("size", "order"))])
        return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers={
            **HEADERS, "Content-Disposition": f'attachment; filename="{safe_name(name)}.csv"'})

    return download
