"""Streaming exports of legs or calls as CSV or NDJSON, one keyset batch at a time, so memory stays
the same whatever the size (docs/api.md, Export). The CLI drives `chunk`, the HTTP handler
`chunk_async`; on PostgreSQL the legs CSV is written by the server (store.csv_copy)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import Connection, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from calldata.calls.page import by_first_id
from calldata.store.calls import CallScope
from calldata.store.csv_copy import Batch, copy_batch, copy_batch_async
from calldata.store.reads import BASE_COLUMNS, CACHE_COLUMNS, PageQuery, page_statement
from calldata.store.schema import PROPERTY_FLAGS, PROPERTY_TEXT, cdr

KINDS = ("legs", "calls")
FORMATS = ("csv", "ndjson")
BATCH = 2000  # rows (legs) or calls per query: a few MB in memory at most
BOM = "\ufeff"  # lets Excel open UTF-8 CSV with non-ASCII names intact
LEG_FIELDS = (*BASE_COLUMNS, *CACHE_COLUMNS, *PROPERTY_TEXT, *PROPERTY_FLAGS)
CALL_FIELDS = ("call", "firstID", "changed", "start", "end", "caller_number", "caller_company", "caller_extension",
               "dialled", "answered_extension", "answered_number", "answered_company", "outcome", "talk", "ring",
               "events", "legs")
_FIRST_FLAG = len(LEG_FIELDS) - len(PROPERTY_FLAGS)
_FIRST_PROPERTY = len(BASE_COLUMNS) + len(CACHE_COLUMNS)
_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True, slots=True)
class Export:
    """What to export: legs or calls started in [min_date, max_date), of `companies` (None: all), as `format`."""

    kind: str = "legs"
    format: str = "csv"
    min_date: datetime | None = None
    max_date: datetime | None = None
    companies: Collection[str] | None = None
    bom: bool = False
    zone: ZoneInfo = ZoneInfo("UTC")
    batch: int = BATCH


def header(export: Export) -> bytes:
    """What comes before the first row: the CSV header line (after a BOM if asked); nothing for NDJSON."""
    if export.format != "csv":
        return b""
    return ((BOM if export.bom else "") + _csv_text([LEG_FIELDS if export.kind == "legs" else CALL_FIELDS])).encode()


def _csv_text(rows: Sequence[Sequence[Any]]) -> str:
    """RFC 4180: every field quoted when it needs it, CRLF line ends."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def _leg_csv(row: Sequence[Any]) -> Sequence[Any]:
    return (*row[:_FIRST_FLAG], *(int(flag) for flag in row[_FIRST_FLAG:]))


def _leg_json(row: Sequence[Any]) -> dict[str, Any]:
    """A leg as /rest/call/read with cachedata sends it: undecided properties and false flags left out."""
    entry = dict(zip(LEG_FIELDS[:_FIRST_PROPERTY], row[:_FIRST_PROPERTY]))
    entry["properties"] = {name: value for name, value in zip(LEG_FIELDS[_FIRST_PROPERTY:], row[_FIRST_PROPERTY:])
                           if value is not None and value is not False}
    return entry


def _call_csv(call: dict[str, Any]) -> Sequence[Any]:
    caller, answered = call["caller"], call.get("answered") or {}
    return (call["call"], call["firstID"], "" if call["changed"] is None else call["changed"], call["start"],
            call["end"], caller["number"], caller["company"], caller["extension"], call["dialled"],
            answered.get("extension", ""), answered.get("number", ""), answered.get("company", ""), call["outcome"],
            call["talk"], call["ring"], _encode(call["events"]).decode() if call["events"] else "",
            " ".join(map(str, call["legs"])))


def _lines(values: Sequence[Any], render: Callable[[Any], Any], export: Export, as_csv: Callable[[Any], Any]) -> bytes:
    if export.format == "csv":
        return _csv_text([as_csv(value) for value in values]).encode()
    return b"".join(_encode(render(value)) + b"\n" for value in values)


def _legs_query(export: Export, after: int) -> PageQuery:
    return PageQuery(after, export.batch, export.min_date, export.max_date, True, export.companies)


def _server_writes(conn: Connection | AsyncConnection, export: Export) -> bool:
    """Whether PostgreSQL's COPY writes this batch (the legs CSV); the same bytes as `_lines`."""
    return export.kind == "legs" and export.format == "csv" and conn.dialect.name == "postgresql"


def chunk(conn: Connection, export: Export, after: int) -> Batch:
    """The next batch from acctid `after` (a leg's, or a call's first) as bytes; the cursor that
    follows it (None at the end); how many legs it covered (for a progress bar)."""
    if _server_writes(conn, export):
        return copy_batch(conn.connection.driver_connection, conn.dialect, _legs_query(export, after))
    return rendered_chunk(conn, export, after)


def rendered_chunk(conn: Connection, export: Export, after: int) -> Batch:
    """`chunk` with every row rendered in Python: any store, any kind and format."""
    if export.kind == "legs":
        found = page_statement(conn.dialect.name, _legs_query(export, after))
        rows = conn.execute(*found).all() if found is not None else []
        if not rows:
            return b"", None, 0
        return _lines(rows, _leg_json, export, _leg_csv), rows[-1][0] + 1, len(rows)
    calls = by_first_id(conn, CallScope(after, export.min_date, export.max_date, export.companies), export.batch,
                        export.zone)
    if not calls:
        return b"", None, 0
    return _lines(calls, dict, export, _call_csv), calls[-1]["firstID"] + 1, sum(len(c["legs"]) for c in calls)


async def chunk_async(conn: AsyncConnection, export: Export, after: int) -> Batch:
    """`chunk` on the API's connection: COPY on the event loop, otherwise on the connection's thread."""
    if _server_writes(conn, export):
        raw = await conn.get_raw_connection()
        return await copy_batch_async(raw.driver_connection, conn.dialect, _legs_query(export, after))
    return await conn.run_sync(rendered_chunk, export, after)


def chunks(conn: Connection, export: Export) -> Iterator[tuple[bytes, int]]:
    """The whole export as (bytes, legs covered), header first (the CLI's loop; the API awaits `chunk_async`)."""
    yield header(export), 0
    after: int | None = 0
    while after is not None:
        data, after, legs = chunk(conn, export, after)
        if data:
            yield data, legs


def legs_in(conn: Connection, export: Export) -> int:
    """How many legs started in the export's window (a progress bar's total)."""
    query = select(func.count()).select_from(cdr)
    if export.min_date is not None:
        query = query.where(cdr.c.calldate >= export.min_date)
    if export.max_date is not None:
        query = query.where(cdr.c.calldate < export.max_date)
    return conn.execute(query).scalar_one()
