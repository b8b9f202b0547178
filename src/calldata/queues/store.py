"""Writing queue_log events: idempotent inserts keyed on each event's natural key."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from calldata.queues.event import QueueEvent
from calldata.queues.schema import queue_event
from calldata.store import dialect

_CHUNK = 1000  # rows per INSERT: well under SQLite's bound-parameter limit (11 columns each)


def event_values(event: QueueEvent) -> dict[str, object]:
    """An event as a row of `queue_event`."""
    data = event.data_columns()
    return {
        "time": event.time, "callid": event.callid, "queue": event.queue, "agent": event.agent,
        "event": event.event, **{f"data{n}": data[n - 1] for n in range(1, 6)},
        "natkey": event.natural_key(),
    }


def store_events(conn: Connection, events: Sequence[QueueEvent]) -> int:
    """Insert the events not stored yet, in the caller's transaction; returns how many were new."""
    added = 0
    for start in range(0, len(events), _CHUNK):
        stmt = (
            dialect.insert(conn, queue_event)
            .values([event_values(e) for e in events[start:start + _CHUNK]])
            .on_conflict_do_nothing(index_elements=[queue_event.c.natkey])
            .returning(queue_event.c.id)
        )
        added += len(conn.execute(stmt).all())
    return added
