"""The store queries behind queue figures: the events of the stays entered in a period, and the
events of given callers (uniqueids). Company scoping goes through the caller's CDR legs."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, Text, bindparam, exists, or_, select
from sqlalchemy.dialects.postgresql import ARRAY

from calldata.queues.event import QueueEvent
from calldata.queues.schema import queue_event
from calldata.queues.stays import ENTER
from calldata.store.schema import cdr

# a leg is a company's when one of these is it (as for /rest/call/read, docs/api.md)
COMPANY_COLUMNS = ("company", "target", "bill_to")
_COLUMNS = (queue_event.c.time, queue_event.c.callid, queue_event.c.queue, queue_event.c.agent,
            queue_event.c.event, *(queue_event.c[f"data{n}"] for n in range(1, 6)))


def attributed(callid: Any) -> Any:
    """The caller `callid` has a stored leg of one of the companies (parameter `companies`)."""
    names = bindparam("companies", expanding=True)
    return exists().where(cdr.c.uniqueid == callid, or_(*(cdr.c[c].in_(names) for c in COMPANY_COLUMNS)))


@cache
def period_statement(queues: bool, companies: bool) -> Select[Any]:
    """Every event of the callers that entered a queue in [start, end), by callid then time.

    ENTERQUEUE rows are found through the (queue, time) index, or the time of all queues; the
    events of each caller through (callid, time). Events after `end` are included: a stay entered
    in the period is counted whole.
    """
    entered = select(queue_event.c.callid).where(
        queue_event.c.event == ENTER,
        queue_event.c.time >= bindparam("start", type_=queue_event.c.time.type),
        queue_event.c.time < bindparam("end", type_=queue_event.c.time.type),
    )
    if queues:
        entered = entered.where(queue_event.c.queue.in_(bindparam("queues", expanding=True)))
    if companies:
        entered = entered.where(attributed(queue_event.c.callid))
    stmt = select(*_COLUMNS).where(queue_event.c.callid.in_(entered))
    if queues:
        stmt = stmt.where(queue_event.c.queue.in_(bindparam("queues", expanding=True)))
    return stmt.order_by(queue_event.c.callid, queue_event.c.time, queue_event.c.id)


def _events(rows: Iterable[Sequence[Any]]) -> list[QueueEvent]:
    found = []
    for time, callid, queue, agent, event, *data in rows:
        while data and not data[-1]:
            data.pop()
        found.append(QueueEvent(time=time, callid=callid, queue=queue, agent=agent, event=event, data=tuple(data)))
    return found


def period_events(conn: Connection, start: datetime, end: datetime, queues: Sequence[str] = (),
                  companies: Collection[str] | None = None) -> list[QueueEvent]:
    """The events of the stays entered in [start, end) (only `queues`' when given), of callers with
    a leg of one of `companies` (None: every caller, also those with no CDR stored yet)."""
    params: dict[str, Any] = {"start": start, "end": end}
    if queues:
        params["queues"] = list(queues)
    if companies is not None:
        if not companies:
            return []
        params["companies"] = list(companies)
    return _events(conn.execute(period_statement(bool(queues), companies is not None), params))


@cache
def callers_statement(dialect: str) -> Select[Any]:
    """Every event of the callers in parameter `callids`: one array on PostgreSQL, a list elsewhere."""
    if dialect == "postgresql":
        wanted = queue_event.c.callid == bindparam("callids", type_=ARRAY(Text)).any_()
    else:
        wanted = queue_event.c.callid.in_(bindparam("callids", expanding=True))
    return select(*_COLUMNS).where(wanted).order_by(queue_event.c.callid, queue_event.c.time, queue_event.c.id)


_CHUNK = 900  # callids per statement on SQLite: under its bound-parameter limit


def caller_events(conn: Connection, callids: Collection[str]) -> list[QueueEvent]:
    """Every event of these callers (CDR uniqueids), by callid then time."""
    wanted = sorted(set(callids))
    step = len(wanted) or 1 if conn.dialect.name == "postgresql" else _CHUNK
    stmt = callers_statement(conn.dialect.name)
    found: list[QueueEvent] = []
    for start in range(0, len(wanted), step):
        found += _events(conn.execute(stmt, {"callids": wanted[start:start + step]}))
    return found


@cache
def legs_statement(side: str) -> Select[Any]:
    """Every event of the callers of a company's legs started in [start, end): the report's legs
    (calldata.reports.query) found by the same index, their callers' events by (callid, time)."""
    callers = select(cdr.c.uniqueid).where(
        cdr.c[side] == bindparam("company"),
        cdr.c.calldate >= bindparam("start", type_=cdr.c.calldate.type),
        cdr.c.calldate < bindparam("end", type_=cdr.c.calldate.type),
    )
    return (
        select(*_COLUMNS).where(queue_event.c.callid.in_(callers))
        .order_by(queue_event.c.callid, queue_event.c.time, queue_event.c.id)
    )


def leg_events(conn: Connection, side: str, company: str, start: datetime, end: datetime) -> list[QueueEvent]:
    """The events of the callers whose legs a report of `company` (on `side`: company or target) holds."""
    return _events(conn.execute(legs_statement(side), {"company": company, "start": start, "end": end}))
