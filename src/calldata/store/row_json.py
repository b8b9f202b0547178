"""A page of /rest/call/read joined from each row's stored JSON (PostgreSQL).

A row's values change only when it is written (inserted, attributed, reprocessed, re-rated,
restored), so the trigger of migration 0017_row_json renders its JSON then, into json_base,
json_cache and json_properties. A page is those texts joined: PostgreSQL writes around them only
what is not stored (acctid, and the times, which depend on the display zone, a setting), and
Python joins the rows. That spends less CPU than handing ~16,000 values to Python to build
Structs and encode them (bench/RESULTS.md, Issue 14 item 2). SQLite keeps
calldata.store.reads' rendering; tests/api/test_row_json.py holds the two equal.

The importer renders a new row's parts itself (`stored_parts`, the same bytes), and migration
0023's insert trigger renders only when one is missing: the single writer's backend, which bounds
an import, then spends no time on them (bench/RESULTS.md, "The row JSON written by the importer").
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from operator import add
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Text, cast, func, literal_column

from calldata.cdr import Cdr
from calldata.store.display_time import display_time
from calldata.store.queue_reads import QueueItem
from calldata.store.schema import PROPERTY_FLAGS, PROPERTY_TEXT, RATING_COLUMNS, cdr

_encode = msgspec.json.Encoder().encode

# The members json_base holds (after acctid and calldate, written at read time), in the contract's order.
BASE_PART = ("clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata", "duration", "billsec",
             "disposition", "amaflags", "accountcode", "uniqueid", "linkedid")
# The rating's members `cachedata` shows, last (docs/api.md); json_cache's members: what cachedata
# adds after the times (call-read.md, cachedata).
RATING_SHOWN = ("rating", "price", "currency", "cost", "cost_currency", "destination", "destination_kind")
CACHE_PART = ("peeraccount", "sequence", "userfield", "call", *RATING_SHOWN)
# A row's properties as the API shows them: undecided ones (NULL) and false flags equal the
# defaults and are left out by `omit_defaults`; gc=False because these never hold cycles.
Properties = msgspec.defstruct(
    "Properties",
    [(name, str | None, None) for name in PROPERTY_TEXT] + [(name, bool, False) for name in PROPERTY_FLAGS],
    omit_defaults=True,
    gc=False,
)
_Base = msgspec.defstruct("_Base", [(name, Any) for name in BASE_PART], gc=False)
_Cache = msgspec.defstruct("_Cache", [(name, str) for name in CACHE_PART], gc=False)
_FIELDS = Cdr.__struct_fields__
_BASE = slice(_FIELDS.index(BASE_PART[0]), _FIELDS.index(BASE_PART[-1]) + 1)  # a record's base fields, in order
assert _FIELDS[_BASE] == BASE_PART
_PEER, _SEQUENCE, _USERFIELD = (_FIELDS.index(name) for name in CACHE_PART[:3])
_SHOWN = [RATING_COLUMNS.index(name) for name in RATING_SHOWN]
_PRICE, _COST = RATING_COLUMNS.index("price"), RATING_COLUMNS.index("cost")
_NO_PROPERTIES = '"properties":{}'
_NO_RATING = ("",) * len(RATING_SHOWN)


def stored_parts(fields: Sequence[Any], properties: Sequence[Any] | None, call: str | None,
                 rating: Sequence[Any] | None) -> tuple[str, str | None, str]:
    """A new row's json_base, json_cache and json_properties, byte for byte what the trigger's
    cdr_row_json() renders (tests/api/test_row_json.py): from the record's `fields` (Cdr order),
    its decided `properties` (PROPERTY_TEXT then PROPERTY_FLAGS), call and `rating`
    (RATING_COLUMNS); None for undecided. json_cache is None for a leg with a price or a cost:
    its deck's precision is the trigger's to look up."""
    base = _encode(_Base(*fields[_BASE])).decode()[1:-1]
    shown = _NO_PROPERTIES if properties is None else '"properties":' + _encode(Properties(*properties)).decode()
    if rating is not None and (rating[_PRICE] is not None or rating[_COST] is not None):
        return base, None, shown
    sequence = fields[_SEQUENCE]
    rated = _NO_RATING if rating is None else [rating[i] or "" for i in _SHOWN]  # amounts: None here, so ""
    cache = _Cache(fields[_PEER], "" if sequence is None else str(sequence), fields[_USERFIELD], call or "", *rated)
    return base, _encode(cache).decode()[1:-1], shown


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
