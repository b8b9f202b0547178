"""Writing queue_log events: idempotent inserts keyed on each event's natural key, and the stays
of the callers they add to computed again beside them (calldata.queues.kept)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from calldata.queues import kept
from calldata.queues.event import QueueEvent
from calldata.queues.schema import queue_event
from calldata.store import dialect

# the columns written, in `event_values` order
COLUMNS = ("time", "callid", "queue", "agent", "event", "data1", "data2", "data3", "data4", "data5", "natkey")
_QUOTED = ", ".join(f'"{c}"' for c in COLUMNS)


def event_values(event: QueueEvent) -> dict[str, object]:
    """An event as a row of `queue_event`."""
    data = event.data_columns()
    return {
        "time": event.time, "callid": event.callid, "queue": event.queue, "agent": event.agent,
        "event": event.event, **{f"data{n}": data[n - 1] for n in range(1, 6)},
        "natkey": event.natural_key(),
    }


def store_events(conn: Connection, events: Sequence[QueueEvent]) -> int:
    """Insert the events not stored yet and keep their callers' stays, in the caller's transaction
    (a crash loses or repeats neither); returns how many events were new."""
    if not events:
        return 0
    if conn.dialect.name == "postgresql":
        added = _store_postgres(conn, events)
    else:
        stmt = (
            dialect.insert(conn, queue_event)
            .on_conflict_do_nothing(index_elements=[queue_event.c.natkey])
            .returning(queue_event.c.callid)
        )
        added = list(conn.execute(stmt, [event_values(e) for e in events]).scalars())
    kept.refresh(conn, set(added))  # events already stored changed no stay
    return len(added)


def _store_postgres(conn: Connection, events: Sequence[QueueEvent]) -> list[str]:
    """COPY into a session-local staging table, then one INSERT ... SELECT (a VALUES list of the
    batch cost ~1 ms a row to compile and for psycopg to re-parse: bench/queue_log.py); the new
    events' callids."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS queue_event_staging ON COMMIT DELETE ROWS AS "
            f"SELECT {_QUOTED} FROM queue_event WITH NO DATA"
        )
        with cur.copy(f"COPY queue_event_staging ({_QUOTED}) FROM STDIN") as copy:
            for event in events:
                copy.write_row(tuple(event_values(event).values()))
        cur.execute(
            f"INSERT INTO queue_event ({_QUOTED}) SELECT {_QUOTED} FROM queue_event_staging "
            "ON CONFLICT (natkey) DO NOTHING RETURNING callid"
        )
        added = [row[0] for row in cur.fetchall()]
        cur.execute("TRUNCATE queue_event_staging")
    return added
