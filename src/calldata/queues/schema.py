"""The queue_log events kept, one row per event, joined to CDRs by `callid` = `cdr.uniqueid`; the
stays they make, one row per caller's stay (what the queue figures read)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Dialect, Index, Integer, Numeric, Table, Text
from sqlalchemy.types import TypeDecorator, TypeEngine

from calldata.store.schema import BYTEWISE, metadata
from calldata.store.types import GrowingId, UTCDateTime

queue_event = Table(
    "queue_event",
    metadata,
    Column("id", GrowingId, primary_key=True, autoincrement=True),
    Column("time", UTCDateTime, nullable=False),
    Column("callid", BYTEWISE, nullable=False),  # compared as cdr.uniqueid is (store.schema.BYTEWISE)
    Column("queue", Text, nullable=False),
    Column("agent", Text, nullable=False),
    Column("event", Text, nullable=False),
    *(Column(f"data{n}", Text, nullable=False, server_default="") for n in range(1, 6)),
    # identity across sources and re-imports (QueueEvent.natural_key)
    Column("natkey", BYTEWISE, nullable=False, unique=True),
    sqlite_autoincrement=True,
)
# a call's events (queuedata, incalls' qtime/qstatus; a caller's stays computed again)
Index("ix_queue_event_callid_time", queue_event.c.callid, queue_event.c.time)


class Whole(TypeDecorator[int]):
    """A whole number of any size as queue_log logs it (a wait of 20 digits stays exact): numeric
    on PostgreSQL (summed and ranked there), its digits as text on SQLite (counted in Python)."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(Text() if dialect.name == "sqlite" else Numeric())

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        return None if value is None else str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


# One row per caller's stay in a queue (calldata.queues.stays.Stay, kept by calldata.queues.kept
# whenever its caller's events are stored): what the figures count, without re-reading the events.
queue_stay = Table(
    "queue_stay",
    metadata,
    Column("callid", BYTEWISE, primary_key=True),
    Column("n", Integer, primary_key=True, autoincrement=False),  # the caller's stays in entry order: 0, 1...
    Column("queue", Text, nullable=False),
    Column("entered", BigInteger, nullable=False),  # epoch seconds (Stay.enter)
    Column("ended", BigInteger, nullable=False),  # the last event's (Stay.end)
    Column("outcome", Text, nullable=False),
    Column("wait", Whole),
    Column("agent", Text, nullable=False),
    Column("talk", Whole),
    Column("transferred", Boolean, nullable=False),
)
# the stays entered in a period, of a queue or of every queue (the figures: on PostgreSQL read
# from the index alone, whatever else the table's pages hold)
_STAY_READ = ["callid", "n", "outcome", "wait", "agent", "talk", "transferred"]
Index("ix_queue_stay_queue_entered", queue_stay.c.queue, queue_stay.c.entered, postgresql_include=_STAY_READ)
Index("ix_queue_stay_entered", queue_stay.c.entered, postgresql_include=["queue", *_STAY_READ])

# Per stay, each member rung and not connected (Stay.rung); queue and entered repeated from the
# stay so a period's rows are found by the same indexes, without a join.
queue_stay_ring = Table(
    "queue_stay_ring",
    metadata,
    Column("callid", BYTEWISE, primary_key=True),
    Column("n", Integer, primary_key=True, autoincrement=False),
    Column("agent", Text, primary_key=True),
    Column("queue", Text, nullable=False),
    Column("entered", BigInteger, nullable=False),
    Column("unanswered", Integer, nullable=False),  # RINGNOANSWER over 0 ms
    Column("busy", Integer, nullable=False),  # RINGNOANSWER|0
)
_RING_READ = ["callid", "n", "agent", "unanswered", "busy"]
Index("ix_queue_stay_ring_queue_entered", queue_stay_ring.c.queue, queue_stay_ring.c.entered,
      postgresql_include=_RING_READ)
Index("ix_queue_stay_ring_entered", queue_stay_ring.c.entered, postgresql_include=["queue", *_RING_READ])
