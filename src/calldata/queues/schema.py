"""The queue_log events kept, one row per event, joined to CDRs by `callid` = `cdr.uniqueid`."""

from __future__ import annotations

from sqlalchemy import Column, Index, Table, Text, text

from calldata.store.schema import metadata
from calldata.store.types import GrowingId, UTCDateTime

queue_event = Table(
    "queue_event",
    metadata,
    Column("id", GrowingId, primary_key=True, autoincrement=True),
    Column("time", UTCDateTime, nullable=False),
    Column("callid", Text, nullable=False),
    Column("queue", Text, nullable=False),
    Column("agent", Text, nullable=False),
    Column("event", Text, nullable=False),
    *(Column(f"data{n}", Text, nullable=False, server_default="") for n in range(1, 6)),
    # identity across sources and re-imports (QueueEvent.natural_key)
    Column("natkey", Text, nullable=False, unique=True),
    sqlite_autoincrement=True,
)
# a call's events (queuedata, incalls' qtime/qstatus; the statistics' callers)
Index("ix_queue_event_callid_time", queue_event.c.callid, queue_event.c.time)
# the stays entered in a period (statistics): the ENTERQUEUE lines only, callids beside them
_ENTER = text("event = 'ENTERQUEUE'")
Index("ix_queue_event_enter_queue_time", queue_event.c.queue, queue_event.c.time, postgresql_include=["callid"],
      postgresql_where=_ENTER, sqlite_where=_ENTER)
Index("ix_queue_event_enter_time", queue_event.c.time, postgresql_include=["queue", "callid"],
      postgresql_where=_ENTER, sqlite_where=_ENTER)
