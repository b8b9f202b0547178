"""Where each live source has got to, written in the transaction that stores the rows it covers.

One `ingest_source` row per configured source: its position (opaque text the source
understands), and the counters `calldata ingest status` and GET /metrics show.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from sqlalchemy import BigInteger, Column, Connection, Table, Text, func, select, text

from calldata.ingest.sink import Stored
from calldata.store import dialect
from calldata.store.schema import metadata
from calldata.store.types import UTCDateTime

ingest_source = Table(
    "ingest_source",
    metadata,
    Column("name", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("position", Text, nullable=False, server_default=text("''")),
    Column("inserted", BigInteger, nullable=False, server_default=text("0")),
    Column("present", BigInteger, nullable=False, server_default=text("0")),
    Column("quarantined", BigInteger, nullable=False, server_default=text("0")),
    Column("reconnects", BigInteger, nullable=False, server_default=text("0")),
    Column("newest_calldate", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("last_error", Text, nullable=False, server_default=text("''")),
    Column("given_up", BigInteger, nullable=False, server_default=text("0")),
)


class SourceState(msgspec.Struct, frozen=True):
    """A source's committed checkpoint and counters."""

    name: str
    kind: str
    position: str
    inserted: int
    present: int
    quarantined: int
    reconnects: int
    newest_calldate: datetime | None
    updated_at: datetime
    last_error: str
    given_up: int  # keys the source stopped waiting for (a table's skipped keys that never appeared)

    def lag_seconds(self, now: datetime | None = None) -> float | None:
        """Now minus the newest calldate (queue_log: event time) stored from this source (None before the first row)."""
        if self.newest_calldate is None:
            return None
        return ((now or datetime.now(UTC)) - self.newest_calldate).total_seconds()


def _state(row: object) -> SourceState:
    return SourceState(**dict(row._mapping))  # type: ignore[attr-defined]


def load(conn: Connection, name: str) -> SourceState | None:
    """The committed state of one source, or None if it never stored anything."""
    row = conn.execute(select(ingest_source).where(ingest_source.c.name == name)).first()
    return None if row is None else _state(row)


def listing(conn: Connection) -> list[SourceState]:
    """Every source that ever ran, by name."""
    return [_state(row) for row in conn.execute(select(ingest_source).order_by(ingest_source.c.name))]


def save(
    conn: Connection,
    name: str,
    kind: str,
    position: str,
    stored: Stored,
    newest: datetime | None,
    given_up: int = 0,
) -> None:
    """Advance a source to `position` and add a batch's counts, inside the batch's transaction."""
    now = datetime.now(UTC)
    stmt = dialect.insert(conn, ingest_source).values(
        name=name,
        kind=kind,
        position=position,
        inserted=stored.inserted,
        present=stored.present,
        quarantined=stored.quarantined,
        reconnects=0,
        newest_calldate=newest,
        updated_at=now,
        last_error="",
        given_up=given_up,
    )
    t = ingest_source
    newest_expr = t.c.newest_calldate if newest is None else func.coalesce(
        func.max(t.c.newest_calldate, stmt.excluded.newest_calldate)
        if conn.dialect.name == "sqlite"
        else func.greatest(t.c.newest_calldate, stmt.excluded.newest_calldate),
        stmt.excluded.newest_calldate,
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.c.name],
            set_={
                "kind": stmt.excluded.kind,
                "position": stmt.excluded.position,
                "inserted": t.c.inserted + stmt.excluded.inserted,
                "present": t.c.present + stmt.excluded.present,
                "quarantined": t.c.quarantined + stmt.excluded.quarantined,
                "given_up": t.c.given_up + stmt.excluded.given_up,
                "newest_calldate": newest_expr,
                "updated_at": stmt.excluded.updated_at,
                "last_error": "",
            },
        )
    )


def note_error(conn: Connection, name: str, kind: str, error: str, *, reconnect: bool) -> None:
    """Record a source's latest failure (and count a reconnect); the position is untouched."""
    now = datetime.now(UTC)
    stmt = dialect.insert(conn, ingest_source).values(
        name=name, kind=kind, position="", reconnects=int(reconnect), updated_at=now, last_error=error[:500]
    )
    t = ingest_source
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.c.name],
            set_={
                "reconnects": t.c.reconnects + stmt.excluded.reconnects,
                "last_error": stmt.excluded.last_error,
                "updated_at": stmt.excluded.updated_at,
            },
        )
    )
