"""The one place every source stores through: rows, quarantine and their consequences, in one transaction.

A `Sink` per kind of record (CDRs, queue_log events) lets the run loop and the importer stay one
loop each, whatever their sources read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import Connection

from calldata.attribution import refresh, versions
from calldata.cdr import Cdr
from calldata.queues.event import QueueEvent
from calldata.queues.store import store_events
from calldata.store import cdrs, quarantine
from calldata.store.quarantine import Rejected


class Stored(msgspec.Struct):
    """What one batch did: rows inserted, rows already present, lines quarantined, rows attributed."""

    inserted: int = 0
    present: int = 0
    quarantined: int = 0
    attributed: int = 0  # rows whose attribution was written (new rows and earlier legs of their calls)

    def __iadd__(self, other: Stored) -> Stored:
        self.inserted += other.inserted
        self.present += other.present
        self.quarantined += other.quarantined
        self.attributed += other.attributed
        return self


def store_batch(conn: Connection, records: Sequence[Cdr], rejected: Sequence[Rejected] = (),
                keys: Sequence[str] | None = None) -> Stored:
    """Store a batch inside the caller's transaction, so a checkpoint written beside it commits with it;
    `keys`: the records' natural keys, when the caller has them (the importer's parsing process).

    The new rows are decided before they are inserted, together with the stored legs of their
    calls, and inserted with their attribution (each new row written once); the earlier legs
    whose attribution they change are updated in the same transaction, so a reader never sees a
    stored row without its properties.
    """
    cdrs.lock_writers(conn)  # before reading the stored legs: no other writer adds one meanwhile
    new = cdrs.unstored(conn, records, keys)
    fresh = list(new.values())
    attributes, earlier = refresh.attribute_new(conn, fresh, versions.current_lookup(conn)) if new else ([], 0)
    new_ids = cdrs.write_new(conn, fresh, attributes, list(new))
    return Stored(
        inserted=len(new_ids),
        present=len(records) - len(new_ids),
        quarantined=quarantine.add(conn, rejected),
        attributed=len(new_ids) + earlier,
    )


def store_queue_events(conn: Connection, events: Sequence[QueueEvent], rejected: Sequence[Rejected] = ()) -> Stored:
    """Store queue_log events inside the caller's transaction (no attribution: they join CDRs by callid)."""
    inserted = store_events(conn, events)
    return Stored(inserted=inserted, present=len(events) - inserted, quarantined=quarantine.add(conn, rejected))


class Sink(NamedTuple):
    """How one kind of record is stored (in the caller's transaction) and dated (for the lag figures)."""

    name: str
    store: Callable[[Connection, Sequence[Any], Sequence[Rejected]], Stored]
    when: Callable[[Any], datetime]


CDRS = Sink("cdr", store_batch, attrgetter("start"))
QUEUE_EVENTS = Sink("queue_log", store_queue_events, attrgetter("time"))
