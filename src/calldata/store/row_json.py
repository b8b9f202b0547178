"""A page of /rest/call/read joined from each row's stored JSON (PostgreSQL).

A row's values change only when it is written (inserted, attributed, reprocessed, re-rated,
restored), so the trigger of migration 0017_row_json renders its JSON then, into json_base,
json_cache and json_properties. A page is those texts joined: PostgreSQL writes around them only
what is not stored (acctid, and the times, which depend on the display zone, a setting), and
Python joins the rows. That spends less CPU than handing ~16,000 values to Python to build
Structs and encode them (bench/RESULTS.md, Issue 14 item 2). SQLite keeps
calldata.store.reads' rendering; tests/api/test_row_json.py holds the two equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from operator import add
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Text, cast, func, literal_column

from calldata.store.display_time import display_time
from calldata.store.queue_reads import QueueItem
from calldata.store.schema import cdr

_encode = msgspec.json.Encoder().encode


def _sql_text(value: str) -> ColumnElement[str]:
    """A constant of the statement's text (not a parameter: the statement carries only the page's)."""
    return literal_column("'" + value.replace("'", "''") + "'", Text)


def _time(instant: ColumnElement[Any]) -> ColumnElement[str]:
    return func.coalesce(display_time(instant), _sql_text(""))


def row_text(cachedata: bool) -> ColumnElement[str]:
    """A row's JSON object (the members reads.BASE_COLUMNS, with cachedata CACHE_COLUMNS, then
    properties) from its stored parts and its times in the display zone."""
    parts: list[ColumnElement[str]] = [
        _sql_text('{"acctid":'), cast(cdr.c.acctid, Text), _sql_text(',"calldate":"'), display_time(cdr.c.calldate),
        _sql_text('",'), cdr.c.json_base,
    ]
    if cachedata:
        parts += [
            _sql_text(',"start":"'), display_time(cdr.c.calldate), _sql_text('","answer":"'), _time(cdr.c.answer),
            _sql_text('","end":"'), _time(cdr.c.end), _sql_text('",'), cdr.c.json_cache,
        ]
    parts += [_sql_text(","), cdr.c.json_properties, _sql_text("}")]
    return reduce(add, parts)


def joined(rows: Sequence[Sequence[Any]], queue: dict[int, list[QueueItem]] | None) -> bytes:
    """The JSON array of `rows` (acctid, row_text); with `queue` (queuedata), each row's queue
    events added as its last member."""
    if queue is None:
        return ("[" + ",".join([row[1] for row in rows]) + "]").encode()
    return b"[" + b",".join(
        [row[1][:-1].encode() + b',"queue":' + _encode(queue.get(row[0], [])) + b"}" for row in rows]
    ) + b"]"
