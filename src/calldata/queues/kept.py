"""The stays kept in the store (queue_stay, queue_stay_ring): computed again by stays.py from all
of a caller's stored events whenever events of that caller are stored, in the same transaction.

A stay's events may come over several batches, out of order or again: its caller's stays are
always the ones stays.py reads from every event stored for it (in (time, id) order, as every
other reader takes them), so the rows do not depend on how the events arrived.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, text

from calldata.queues.query import caller_events
from calldata.queues.schema import queue_event, queue_stay, queue_stay_ring
from calldata.queues.stays import Stay, by_caller, stays

# PostgreSQL advisory lock: writers of stays take turns, so one that stored events of a caller
# re-reads them only after any other writer's events of that caller are committed
STAY_WRITE_LOCK = 0x71_75_65_75_65  # "queue"
_CHUNK = 400  # callids per DELETE on SQLite: under its bound-parameter limit


def rows(found: Iterable[Stay]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Stays as rows of queue_stay and queue_stay_ring; `n` numbers a caller's stays in entry order."""
    stay_rows: list[dict[str, Any]] = []
    ring_rows: list[dict[str, Any]] = []
    for callid, mine in by_caller(found).items():
        for n, stay in enumerate(mine):
            stay_rows.append({"callid": callid, "n": n, "queue": stay.queue, "entered": stay.enter,
                              "ended": stay.end, "outcome": stay.outcome, "wait": stay.wait, "agent": stay.agent,
                              "talk": stay.talk, "transferred": stay.transferred})
            ring_rows += [{"callid": callid, "n": n, "agent": agent, "queue": stay.queue, "entered": stay.enter,
                           "unanswered": unanswered, "busy": busy}
                          for agent, (unanswered, busy) in stay.rung.items()]
    return stay_rows, ring_rows


def refresh(conn: Connection, callids: Collection[str]) -> int:
    """The stays of these callers computed again from their stored events and written in place of
    theirs, in the caller's transaction; returns how many stays they have now."""
    if not callids:
        return 0
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STAY_WRITE_LOCK})
    wanted = sorted(set(callids))
    stay_rows, ring_rows = rows(stays(caller_events(conn, wanted)))
    if conn.dialect.name == "postgresql":
        _write_postgres(conn, wanted, stay_rows, ring_rows)
        return len(stay_rows)
    for start in range(0, len(wanted), _CHUNK):
        part = wanted[start:start + _CHUNK]
        conn.execute(delete(queue_stay_ring).where(queue_stay_ring.c.callid.in_(part)))
        conn.execute(delete(queue_stay).where(queue_stay.c.callid.in_(part)))
    if stay_rows:
        conn.execute(queue_stay.insert(), stay_rows)
    if ring_rows:
        conn.execute(queue_stay_ring.insert(), ring_rows)
    return len(stay_rows)


def _write_postgres(conn: Connection, callids: list[str], stay_rows: list[dict[str, Any]],
                    ring_rows: list[dict[str, Any]]) -> None:
    """The callers' rows deleted (one array parameter) and their new ones COPYed in, on the
    transaction's own driver connection: INSERTs of VALUES lists cost about half of a batch's
    storing time (bench/queue_log.py), as they did for the events (calldata.queues.store)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        for table in (queue_stay_ring, queue_stay):
            cur.execute(f"DELETE FROM {table.name} WHERE callid = ANY(%s)", (callids,))
        for table, found in ((queue_stay, stay_rows), (queue_stay_ring, ring_rows)):
            names = [column.name for column in table.columns]
            with cur.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                for row in found:
                    copy.write_row([row[name] for name in names])


def callers(conn: Connection, after: str, limit: int) -> list[str]:
    """Up to `limit` callids with stored events, in order, after `after` (by the callid index)."""
    stmt = (select(queue_event.c.callid).where(queue_event.c.callid > after).group_by(queue_event.c.callid)
            .order_by(queue_event.c.callid).limit(limit))
    return list(conn.execute(stmt).scalars())


def rebuild(engine: Engine, chunk: int = 5000, progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """Every stored caller's stays computed again, `chunk` callers a transaction (safe beside
    ingestion: the lock makes them take turns); (callers, stays), each chunk's told to `progress`."""
    after, callers_done, stays_kept = "", 0, 0
    while True:
        with engine.begin() as conn:
            part = callers(conn, after, chunk)
            if not part:
                return callers_done, stays_kept
            stays_kept += refresh(conn, part)
        after, callers_done = part[-1], callers_done + len(part)
        if progress is not None:
            progress(callers_done, stays_kept)
