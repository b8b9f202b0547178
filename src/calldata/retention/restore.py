"""An archive imported back (`calldata import FILE.cdr-archive.gz`): its rows as they were, acctids kept."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import BinaryIO, NamedTuple

from sqlalchemy import Connection, Engine, text

from calldata.retention.archive import ArchiveError, read_header
from calldata.retention.partition import COLUMNS
from calldata.store import partitions
from calldata.store.calls import note_changes
from calldata.store.cdrs import lock_writers


class Restored(NamedTuple):
    """Legs read, put back, and already present (by natural key: never stored twice)."""

    read: int
    inserted: int
    present: int


def restore(engine: Engine, stream: BinaryIO, name: str, batch_size: int,
            after_batch: Callable[[], None] | None = None, stop: threading.Event | None = None) -> Restored:
    """Put the archive's legs back, one transaction per batch, each with its own acctid and every
    column as archived (no attribution runs again). A leg whose natural key is stored already (say
    imported again from its Master.csv after the drop, with a new acctid) is left as it is. A leg
    lands in the partition of its acctid (made again if retention dropped it), and the identity
    sequence is moved past the highest acctid put back (an archive restored into another store).
    `stream` is the decompressed archive `name`; `after_batch` is called after each batch is
    stored; once `stop` is set no further batch starts.
    """
    if engine.dialect.name != "postgresql":
        raise ArchiveError(f"{name}: an archive is restored into PostgreSQL only (archives come from its partitions)")
    columns = read_header(stream, name)
    if unknown := set(columns) - set(COLUMNS):
        raise ArchiveError(f"{name}: columns this store does not have: {', '.join(sorted(unknown))}")
    if not {"acctid", "natkey"} <= set(columns):
        raise ArchiveError(f"{name}: an archive needs its acctid and natkey columns")
    done = Restored(0, 0, 0)
    for batch in _batches(stream, batch_size):
        if stop is not None and stop.is_set():
            break
        with engine.begin() as conn:
            inserted = _restore_batch(conn, columns, batch)
        done = Restored(done.read + len(batch), done.inserted + inserted, done.present + len(batch) - inserted)
        if after_batch is not None:
            after_batch()
    return done


def _batches(lines: Iterable[bytes], size: int) -> Iterator[list[bytes]]:
    while batch := list(islice(lines, size)):
        yield batch


def _restore_batch(conn: Connection, columns: list[str], batch: list[bytes]) -> int:
    """COPY the lines into a staging table, make the partitions they need, insert the unknown keys."""
    lock_writers(conn)
    quoted = ", ".join(f'"{name}"' for name in columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute("SET LOCAL TimeZone = 'UTC'")
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS cdr_restore ON COMMIT DELETE ROWS AS SELECT * FROM cdr WITH NO DATA")
        with cur.copy(f"COPY cdr_restore ({quoted}) FROM STDIN") as copy:
            for line in batch:
                copy.write(line)
    _make_partitions(conn)
    rows = conn.execute(text(
        "WITH k AS (INSERT INTO cdr_key (natkey, acctid) SELECT natkey, acctid FROM cdr_restore ORDER BY acctid"
        " ON CONFLICT (natkey) DO NOTHING RETURNING natkey, acctid)"
        f' INSERT INTO cdr ({quoted}) SELECT {", ".join(f"r.{name}" for name in _quoted(columns))}'
        ' FROM cdr_restore r JOIN k USING (natkey, acctid) RETURNING acctid, "call"'
    )).all()
    if rows:
        highest = max(acctid for acctid, _ in rows)
        if highest >= partitions.next_acctid(conn):
            conn.execute(text(f"SELECT setval('{partitions.SEQUENCE}', :highest)"), {"highest": highest})
        partitions.ensure_ahead(conn, highest)
        note_changes(conn, (call for _, call in rows if call is not None))
    conn.execute(text("TRUNCATE cdr_restore"))
    return len(rows)


def _quoted(columns: list[str]) -> list[str]:
    return [f'"{name}"' for name in columns]


def _make_partitions(conn: Connection) -> None:
    """Every staged acctid has a partition (below the tail none catches it): those retention dropped come back."""
    size = partitions.configured_size()
    while True:
        existing = partitions.partitions(conn)
        missing = conn.execute(text(
            "SELECT min(acctid) FROM cdr_restore WHERE acctid < :tail AND NOT EXISTS (SELECT 1 FROM unnest("
            "CAST(:lowers AS bigint[]), CAST(:uppers AS bigint[])) b(l, u) WHERE acctid >= l AND acctid < u)"),
            {"tail": partitions.tail_lower(conn), "lowers": [p.lower for p in existing],
             "uppers": [p.upper for p in existing]}).scalar_one()
        if missing is None:
            return
        partitions.ensure_range(conn, missing, size)
