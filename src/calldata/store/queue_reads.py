"""`queuedata`: the queue_log events of each row's call, read for a whole page in one statement.

"Of the row's call": events whose callid is the uniqueid of any leg of the row's `call` that the
reader may see (a row not grouped into a call yet: its own uniqueid). The store layer names the
`queue_event` table here without importing calldata.queues (lower layers never import higher).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any

import msgspec
from sqlalchemy import BigInteger, Connection, Integer, Select, Text, bindparam, or_, select, union
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import column as column_clause
from sqlalchemy.sql import table as table_clause

from calldata.store.asyncpg_pool import AsyncpgPool
from calldata.store.schema import cdr
from calldata.store.types import UTCDateTime

DATA = tuple(f"data{n}" for n in range(1, 6))
_EVENTS = table_clause(
    "queue_event",
    column_clause("id", Integer), column_clause("time", UTCDateTime), column_clause("callid", Text),
    column_clause("queue", Text), column_clause("agent", Text), column_clause("event", Text),
    *(column_clause(name, Text) for name in DATA),
)


class QueueItem(msgspec.Struct, gc=False):
    """One event as a row's `queue` lists it (docs/api.md, queuedata)."""

    time: int  # epoch seconds
    queue: str
    agent: str
    event: str
    data: list[str]  # data1..data5, trailing empty ones left out


def _list(name: str, dialect: str, element: Any) -> Any:
    """A list parameter: a PostgreSQL array (one statement text whatever its length), else expanding."""
    if dialect == "postgresql":
        return bindparam(name, type_=ARRAY(element))
    return bindparam(name, expanding=True)


@lru_cache(maxsize=8)
def statement(dialect: str, companies: bool) -> Select[Any]:
    """(acctid, time, queue, agent, event, data1..5) of the page rows' calls, by acctid then time."""
    acctids = _list("acctids", dialect, BigInteger)
    page, legs = cdr.alias("page"), cdr.alias("legs")

    def among(values: Any, column: Any) -> Any:
        return column == values.any_() if dialect == "postgresql" else column.in_(values)

    same_call = select(page.c.acctid, legs.c.uniqueid.label("uniqueid")).join(legs, legs.c.call == page.c.call)
    same_call = same_call.where(among(acctids, page.c.acctid))
    if companies:
        names = _list("companies", dialect, Text)
        same_call = same_call.where(or_(*(among(names, legs.c[c]) for c in ("company", "target", "bill_to"))))
    itself = select(page.c.acctid, page.c.uniqueid.label("uniqueid")).where(among(acctids, page.c.acctid))
    keys = union(same_call, itself).subquery("keys")
    return (
        select(keys.c.acctid, _EVENTS.c.time, _EVENTS.c.queue, _EVENTS.c.agent, _EVENTS.c.event,
               *(_EVENTS.c[name] for name in DATA))
        .join_from(keys, _EVENTS, _EVENTS.c.callid == keys.c.uniqueid)
        .order_by(keys.c.acctid, _EVENTS.c.time, _EVENTS.c.id)
    )


def _params(acctids: Sequence[int], companies: Collection[str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {"acctids": list(acctids)}
    if companies is not None:
        params["companies"] = list(companies)
    return params


def grouped(rows: Sequence[Sequence[Any]]) -> dict[int, list[QueueItem]]:
    """acctid -> its events, from the statement's rows."""
    found: dict[int, list[QueueItem]] = {}
    for acctid, time, queue, agent, event, *data in rows:
        while data and not data[-1]:
            data.pop()
        found.setdefault(acctid, []).append(QueueItem(int(time.timestamp()), queue, agent, event, data))
    return found


def read_events(conn: Connection, acctids: Sequence[int], companies: Collection[str] | None) -> dict[int, list[QueueItem]]:
    """The events of the calls of the rows `acctids` (see the module), for a reader of `companies`."""
    stmt = statement(conn.dialect.name, companies is not None)
    return grouped(conn.execute(stmt, _params(acctids, companies)).all())


async def read_events_pooled(pool: AsyncpgPool, acctids: Sequence[int],
                             companies: Collection[str] | None) -> dict[int, list[QueueItem]]:
    """`read_events` on the API's asyncpg pool."""
    return grouped(await pool.fetch(statement("postgresql", companies is not None), _params(acctids, companies)))
