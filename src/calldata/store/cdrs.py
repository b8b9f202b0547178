"""Writing CDRs: idempotent batched inserts keyed on the record's natural key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, select, text

from calldata.cdr import Cdr, utc_text
from calldata.store import partitions
from calldata.store.keysets import among
from calldata.store.row_json import stored_parts
from calldata.store.schema import PROPERTY_FLAGS, PROPERTY_TEXT, RATING_COLUMNS, RENDERED_COLUMNS, cdr, cdr_key

# pg_advisory_xact_lock key that serialises CDR writers (any constant unique to calldata).
CDR_WRITE_LOCK = 0x63616C6C64617461  # "calldata"

# The columns a writer fills, in Cdr field order (start is stored as calldate) plus the key.
COLUMNS = tuple("calldate" if f == "start" else f for f in Cdr.__struct_fields__) + ("natkey",)
# What attribution decides for a row, and its rating decided in the same pass, written with it
# when known at insert (see `insert_cdrs`).
ATTRIBUTES = (*PROPERTY_TEXT, *PROPERTY_FLAGS, "call", "directory_version", *RATING_COLUMNS)
_PROPERTIES = len(PROPERTY_TEXT) + len(PROPERTY_FLAGS)
_CALL, _RATING = ATTRIBUTES.index("call"), ATTRIBUTES.index(RATING_COLUMNS[0])
_RENDERED = ", ".join(RENDERED_COLUMNS)  # written with the row: the insert trigger then renders nothing
_QUOTED = ", ".join(f'"{c}"' for c in COLUMNS)
_QUOTED_ALL = ", ".join(f'"{c}"' for c in (*COLUMNS, *ATTRIBUTES))
_SQLITE_INSERT = f"INSERT INTO cdr ({_QUOTED}) VALUES ({', '.join('?' * len(COLUMNS))})"
_SQLITE_INSERT_ALL = f"INSERT INTO cdr ({_QUOTED_ALL}) VALUES ({', '.join('?' * (len(COLUMNS) + len(ATTRIBUTES)))})"


def cdr_values(record: Cdr, key: str | None = None) -> dict[str, Any]:
    """A `Cdr` as a row of the `cdr` table (start is stored as `calldate`); `key`: its natural key."""
    values = msgspec.structs.asdict(record)
    values["calldate"] = values.pop("start")
    values["natkey"] = record.natural_key() if key is None else key
    return values


def lock_writers(conn: Connection) -> None:
    """Make CDR writers take turns until commit.

    So acctids become visible in ascending order and a client paging on minID never misses a
    row that commits late (call-read.md, Paging); and a writer deciding a batch against the
    stored legs of its calls sees every leg committed before it, and writes only keys no other
    writer stored meanwhile (write_new looks for no conflict). SQLite has one writer, but takes
    it at a transaction's first write: a write that changes nothing takes it now, before the reads.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CDR_WRITE_LOCK})
    else:
        conn.exec_driver_sql("DELETE FROM cdr WHERE 0")


def unstored(conn: Connection, records: Sequence[Cdr], keys: Sequence[str] | None = None) -> dict[str, Cdr]:
    """The records not stored yet by natural key, each once (its first occurrence), in order
    (PostgreSQL: looked up in cdr_key, one index for every partition); `keys`: their natural keys
    when the caller has them already."""
    if keys is None:
        keys = [record.natural_key() for record in records]
    return {keys[i]: records[i] for i in _first_unstored(conn, keys)}


def _first_unstored(conn: Connection, keys: Sequence[str]) -> list[int]:
    """The positions of the keys not stored yet, the first of each, ascending."""
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    natkey = cdr_key.c.natkey if conn.dialect.name == "postgresql" else cdr.c.natkey
    stored = set(conn.execute(select(natkey).where(among(conn, natkey, first))).scalars()) if first else set()
    return [i for key, i in first.items() if key not in stored]


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
    new = _first_unstored(conn, keys)
    return write_new(conn, [records[i] for i in new], None if attributes is None else [attributes[i] for i in new],
                     [keys[i] for i in new])


def write_new(
    conn: Connection, records: Sequence[Cdr], attributes: Sequence[Sequence[Any]] | None, keys: Sequence[str]
) -> list[int]:
    """Write records known to be new (`unstored` under the writers' lock, held since): their acctids, ascending.

    No statement looks for conflicts; a record stored meanwhile all the same (by a writer that
    bypassed the lock) fails the batch on the natural key's unique index, never duplicates it.
    """
    if not records:
        return []
    if conn.dialect.name == "postgresql":
        return _write_postgres(conn, records, attributes, keys)
    return _write_sqlite(conn, records, attributes, keys)


def _sqlite_time(value: datetime | None) -> str | None:
    """An instant as SQLAlchemy's SQLite DATETIME writes it (naive UTC text with microseconds), so
    rows written here and through SQLAlchemy compare and sort alike."""
    if value is None:
        return None
    iso = utc_text(value)  # YYYY-MM-DDTHH:MM:SS[.ffffff]Z: half of isoformat's time
    return f"{iso[:10]} {iso[11:19]}.{iso[20:-1]:0<6}"


def _write_sqlite(
    conn: Connection, records: Sequence[Cdr], attributes: Sequence[Sequence[Any]] | None, keys: Sequence[str]
) -> list[int]:
    """One executemany as the driver takes it (SQLAlchemy's insert with RETURNING ran a statement a row);
    AUTOINCREMENT gives the rows consecutive acctids, the writer holding SQLite's write lock."""
    rows = [(_sqlite_time(r.start), _sqlite_time(r.answer), _sqlite_time(r.end),
             *msgspec.structs.astuple(r)[3:], key) for r, key in zip(records, keys, strict=True)]
    if attributes is not None:
        rows = [(*row, *decided) for row, decided in zip(rows, attributes, strict=True)]
    conn.exec_driver_sql(_SQLITE_INSERT if attributes is None else _SQLITE_INSERT_ALL, rows)
    last = conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
    return list(range(last - len(rows) + 1, last + 1))


assert Cdr.__struct_fields__[:3] == ("start", "answer", "end")  # a record's fields[3:] follow its times


def _times(record: Cdr) -> tuple[str, str | None, str | None]:
    """A record's start, answer and end for COPY, as text (`utc_text`: psycopg's datetime dumper
    was a third of a row's COPY formatting)."""
    answer, end = record.answer, record.end
    return utc_text(record.start), None if answer is None else utc_text(answer), None if end is None else utc_text(end)


def _write_postgres(
    conn: Connection, records: Sequence[Cdr], attributes: Sequence[Sequence[Any]] | None, keys: Sequence[str]
) -> list[int]:
    """acctids taken from the sequence in batch order, the partitions made ahead of them, then the
    keys COPYed into cdr_key (its primary key is what makes inserts exactly-once: cdr is
    partitioned, without a unique natkey) and the rows into cdr (routed to their partitions).

    Measured 1.6x less server time than COPY into a staging table then INSERT .. SELECT .. ON
    CONFLICT DO NOTHING (itself ~5x faster than a multi-row INSERT): no second copy of the rows,
    no join (bench/RESULTS.md, Issue 14 item 1). Each row's JSON parts go with it (row_json.stored_parts):
    rendered here, beside the server's work, instead of by the insert trigger in the one writer's backend.
    """
    raw = conn.connection.driver_connection
    assert raw is not None
    quoted = _QUOTED if attributes is None else _QUOTED_ALL
    with raw.cursor() as cur:
        cur.execute(f"SELECT nextval('{partitions.SEQUENCE}') FROM generate_series(1, %s)", (len(records),))
        acctids = sorted(acctid for (acctid,) in cur.fetchall())
        partitions.ensure_ahead(conn, acctids[-1])
        with cur.copy("COPY cdr_key (natkey, acctid) FROM STDIN") as copy:
            for key, acctid in zip(keys, acctids, strict=True):
                copy.write_row((key, acctid))
        with cur.copy(f"COPY cdr (acctid, {quoted}, {_RENDERED}) FROM STDIN") as copy:
            if attributes is None:
                for acctid, record, key in zip(acctids, records, keys, strict=True):
                    fields = msgspec.structs.astuple(record)
                    copy.write_row((acctid, *_times(record), *fields[3:], key, *stored_parts(fields, None, None, None)))
            else:
                for acctid, record, key, decided in zip(acctids, records, keys, attributes, strict=True):
                    fields = msgspec.structs.astuple(record)
                    parts = stored_parts(fields, decided[:_PROPERTIES], decided[_CALL], decided[_RATING:])
                    copy.write_row((acctid, *_times(record), *fields[3:], key, *decided, *parts))
    return acctids
