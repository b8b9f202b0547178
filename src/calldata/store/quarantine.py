"""The quarantine: input that could not be stored, kept with where it came from and why."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import msgspec
from sqlalchemy import Connection, select

from calldata.store import dialect
from calldata.store.schema import quarantine

class Rejected(msgspec.Struct, frozen=True):
    """One piece of input that was not stored: its source, position in it, raw text and why."""

    source: str
    position: str
    raw: str
    reason: str


def add(conn: Connection, rejected: Sequence[Rejected]) -> int:
    """Record rejected input; the same source position twice is kept once. Returns rows added."""
    if not rejected:
        return 0
    now = datetime.now(UTC)
    stmt = (
        dialect.insert(conn, quarantine)
        .on_conflict_do_nothing(index_elements=[quarantine.c.source, quarantine.c.position])
        .returning(quarantine.c.id)
    )
    rows = conn.execute(stmt, [{**msgspec.structs.asdict(r), "created_at": now} for r in rejected])
    return len(rows.all())


def listing(conn: Connection, source: str | None = None, limit: int = 100) -> Iterable[dict]:
    """The newest quarantined entries first, optionally of one source."""
    query = select(quarantine).order_by(quarantine.c.id.desc()).limit(limit)
    if source is not None:
        query = query.where(quarantine.c.source == source)
    return [dict(row._mapping) for row in conn.execute(query)]
