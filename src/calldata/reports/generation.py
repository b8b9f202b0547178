"""The store's generation as a report sees it: it changes whenever a report could come out different."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from calldata.queues.schema import queue_event
from calldata.store.schema import call_change, cdr

_GENERATION = select(
    select(func.max(call_change.c.seq)).scalar_subquery(),
    select(func.max(cdr.c.acctid)).scalar_subquery(),
    select(func.max(queue_event.c.id)).scalar_subquery(),
)


def generation(conn: Connection) -> tuple[int | None, int | None, int | None]:
    """(newest call change, newest acctid, newest queue event): index lookups.

    Attribution gives a call a new change sequence whenever it writes one of its legs (a new leg,
    a reprocess; calldata.store.calls.note_changes), and every stored row takes a higher acctid;
    the directory a report reads is keyed apart, by its version (reports.build.Plan). A table
    emptied and filled again shows in the acctid. A queue_log event stored changes incalls'
    qtime and qstatus: each takes a higher id (events are only ever added).
    """
    seq, acctid, event = conn.execute(_GENERATION).one()
    return seq, acctid, event
