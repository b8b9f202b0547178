"""Writing CDRs: idempotent batched inserts keyed on the record's natural key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import Connection, Text, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from calldata.cdr import Cdr
from calldata.store import dialect, partitions
from calldata.store.schema import PROPERTY_FLAGS, PROPERTY_TEXT, RATING_COLUMNS, cdr, cdr_key

# pg_advisory_xact_lock key that serialises CDR writers (any constant unique to calldata).
CDR_WRITE_LOCK = 0x63616C6C64617461  # "calldata"
_CHUNK = 500  # values per IN (...) list: well under SQLite's bound-parameter limit

# The columns a writer fills, in Cdr field order (start is stored as calldate) plus the key.
COLUMNS = tuple("calldate" if f == "start" else f for f in Cdr.__struct_fields__) + ("natkey",)
# What attribution decides for a row, and its rating decided in the same pass, written with it
# when known at insert (see `insert_cdrs`).
ATTRIBUTES = (*PROPERTY_TEXT, *PROPERTY_FLAGS, "call", "directory_version", *RATING_COLUMNS)
_QUOTED = ", ".join(f'"{c}"' for c in COLUMNS)
_QUOTED_ALL = ", ".join(f'"{c}"' for c in (*COLUMNS, *ATTRIBUTES))


def cdr_values(record: Cdr, key: str | None = None) -> dict[str, Any]:
    """A `Cdr` as a row of the `cdr` table (start is stored as `calldate`); `key`: its natural key."""
    values = msgspec.structs.asdict(record)
    values["calldate"] = values.pop("start")
    values["natkey"] = record.natural_key() if key is None else key
    return values


def lock_writers(conn: Connection) -> None:
    """Make CDR writers take turns until commit (PostgreSQL; SQLite has one writer anyway).

    So acctids become visible in ascending order and a client paging on minID never misses a
    row that commits late (call-read.md, Paging); and a writer deciding a batch against the
    stored legs of its calls sees every leg committed before it.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CDR_WRITE_LOCK})


def unstored(conn: Connection, records: Sequence[Cdr]) -> dict[str, Cdr]:
    """The records not stored yet by natural key, each once (its first occurrence), in order
    (PostgreSQL: looked up in cdr_key, one index for every partition)."""
    first: dict[str, Cdr] = {}
    for record in records:
        first.setdefault(record.natural_key(), record)
    stored: set[str] = set()
    keys = list(first)
    if conn.dialect.name == "postgresql":
        stored.update(conn.execute(select(cdr_key.c.natkey).where(cdr_key.c.natkey == any_(
            bindparam("keys", keys, type_=ARRAY(Text))))).scalars())
    else:
        for i in range(0, len(keys), _CHUNK):
            stored.update(conn.execute(select(cdr.c.natkey).where(cdr.c.natkey.in_(keys[i:i + _CHUNK]))).scalars())
    return {key: record for key, record in first.items() if key not in stored}


def insert_cdrs(
    conn: Connection,
    records: Sequence[Cdr],
    attributes: Sequence[Sequence[Any]] | None = None,
    keys: Sequence[str] | None = None,
) -> list[int]:
    """Store the records not stored yet (by natural key); return the new rows' acctids, ascending.

    A record already present, or repeated within the batch, is skipped, so re-reading a source
    never duplicates a row. New rows get acctids in the order of `records`. `attributes`, one
    tuple per record in the order of `ATTRIBUTES`, are written with the rows (so a row is
    written once); without them those columns keep their defaults (undecided). `keys` are the
    records' natural keys when the caller has them already.
    """
    if not records:
        return []
    if keys is None:
        keys = [record.natural_key() for record in records]
    lock_writers(conn)
    if conn.dialect.name == "postgresql":
        return _insert_postgres(conn, records, attributes, keys)
    stmt = (
        dialect.insert(conn, cdr)
        .on_conflict_do_nothing(index_elements=[cdr.c.natkey])
        .returning(cdr.c.acctid, sort_by_parameter_order=True)
    )
    values = [cdr_values(r, key) for r, key in zip(records, keys, strict=True)]
    if attributes is not None:
        for row, decided in zip(values, attributes, strict=True):
            row.update(zip(ATTRIBUTES, decided))
    rows = conn.execute(stmt, values)
    return sorted(acctid for (acctid,) in rows)


def _insert_postgres(
    conn: Connection, records: Sequence[Cdr], attributes: Sequence[Sequence[Any]] | None, keys: Sequence[str]
) -> list[int]:
    """COPY the batch into a session-local staging table, then one statement: the new keys into
    cdr_key (its ON CONFLICT is what makes inserts exactly-once: cdr is partitioned, without a
    unique natkey), taking acctids from the sequence in batch order, and their rows into cdr.
    Then the partitions are kept ahead of the acctids just used (calldata.store.partitions).

    Measured ~5x faster than a multi-row INSERT, whose huge statement psycopg must re-parse.
    """
    raw = conn.connection.driver_connection
    assert raw is not None
    quoted = _QUOTED if attributes is None else _QUOTED_ALL
    with raw.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS cdr_staging ON COMMIT DELETE ROWS AS "
            f"SELECT 0 AS ord, {_QUOTED_ALL} FROM cdr WITH NO DATA"
        )
        with cur.copy(f"COPY cdr_staging (ord, {quoted}) FROM STDIN") as copy:
            if attributes is None:
                for ord_, (record, key) in enumerate(zip(records, keys, strict=True)):
                    copy.write_row((ord_, *msgspec.structs.astuple(record), key))
            else:
                for ord_, (record, key, decided) in enumerate(zip(records, keys, attributes, strict=True)):
                    copy.write_row((ord_, *msgspec.structs.astuple(record), key, *decided))
        cur.execute(
            "WITH k AS (INSERT INTO cdr_key (natkey, acctid)"
            f" SELECT natkey, nextval('{partitions.SEQUENCE}') FROM (SELECT natkey FROM cdr_staging ORDER BY ord) o"
            " ON CONFLICT (natkey) DO NOTHING RETURNING natkey, acctid)"
            f" INSERT INTO cdr (acctid, {quoted}) SELECT k.acctid, {quoted} FROM k JOIN"
            f" (SELECT DISTINCT ON (natkey) {quoted} FROM cdr_staging ORDER BY natkey, ord) s USING (natkey)"
            " RETURNING acctid"
        )
        acctids = sorted(acctid for (acctid,) in cur.fetchall())
        cur.execute("TRUNCATE cdr_staging")
    if acctids:
        partitions.ensure_ahead(conn, acctids[-1])
    return acctids
