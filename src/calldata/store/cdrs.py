"""Writing CDRs: idempotent batched inserts keyed on the record's natural key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import Connection, text

from calldata.cdr import Cdr
from calldata.store import dialect
from calldata.store.schema import cdr

# pg_advisory_xact_lock key that serialises CDR writers (any constant unique to calldata).
CDR_WRITE_LOCK = 0x63616C6C64617461  # "calldata"

def cdr_values(record: Cdr) -> dict[str, Any]:
    """A `Cdr` as a row of the `cdr` table (start is stored as `calldate`)."""
    values = msgspec.structs.asdict(record)
    values["calldate"] = values.pop("start")
    values["natkey"] = record.natural_key()
    return values


def insert_cdrs(conn: Connection, records: Sequence[Cdr]) -> list[int]:
    """Store the records not stored yet (by natural key); return the new rows' acctids, ascending.

    A record already present, or repeated within the batch, is skipped, so re-reading a source
    never duplicates a row.
    """
    if not records:
        return []
    if conn.dialect.name == "postgresql":
        # Writers take turns until commit, so acctids become visible in ascending order and a
        # client paging on minID never misses a row that commits late (call-read.md, Paging).
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CDR_WRITE_LOCK})
    stmt = (
        dialect.insert(conn, cdr)
        .on_conflict_do_nothing(index_elements=[cdr.c.natkey])
        .returning(cdr.c.acctid, sort_by_parameter_order=True)
    )
    rows = conn.execute(stmt, [cdr_values(r) for r in records])
    return sorted(acctid for (acctid,) in rows)
