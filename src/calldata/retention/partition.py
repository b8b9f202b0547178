"""One cdr partition on PostgreSQL: what it holds, written to an archive, dropped once verified."""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Connection, Engine, text

from calldata.retention.archive import MAGIC, Digest
from calldata.store.cdrs import lock_writers
from calldata.store.partitions import Partition
from calldata.store.schema import RENDERED_COLUMNS, cdr

# what a leg holds; its rendered JSON is rendered again when it is restored
COLUMNS = [column.name for column in cdr.columns if column.name not in RENDERED_COLUMNS]
_QUOTED = ", ".join(f'"{name}"' for name in COLUMNS)
_SHOWN_EVERY = 10_000  # legs between two progress updates (one per leg costs seconds a partition)


class Held(NamedTuple):
    """A partition's contents at one snapshot: the archive's digest, a checksum of every column of
    every row (a row changed after archiving stops the drop), the newest leg's start."""

    digest: Digest
    content: str
    newest: datetime | None


class Changed(RuntimeError):
    """The partition is not what was archived any more (a leg re-decided meanwhile): not dropped."""


def held(conn: Connection, part: Partition) -> Held:
    """What the partition holds now (in the caller's transaction's snapshot), read as a stream: a
    partition-sized string_agg in PostgreSQL fails past 1 GB (about 15M legs of natural keys)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    rows, natkeys, content = 0, hashlib.sha256(), hashlib.sha256()
    with raw.cursor() as cur:
        cur.execute("SET LOCAL TimeZone = 'UTC'")  # the rows' text, as when archived
        with cur.copy(f"COPY (SELECT natkey, md5(p::text) FROM {part.name} p ORDER BY acctid) TO STDOUT") as copy:
            for natkey, row in copy.rows():
                if rows:
                    natkeys.update(b"\n")
                natkeys.update(natkey.encode())
                content.update(row.encode())
                rows += 1
        cur.execute(f"SELECT max(calldate) FROM {part.name}")
        newest = cur.fetchone()[0]
    return Held(Digest(rows, natkeys.hexdigest()), content.hexdigest(), newest)


def write(engine: Engine, part: Partition, path: Path, progress: Callable[[int], None]) -> Held:
    """Write the partition to `path` (gzip, the archive format) from one snapshot, synced to disk;
    return what that snapshot held. `progress` gets the legs written so far."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.execute(text("SET LOCAL TimeZone = 'UTC'"))
        snapshot = held(conn, part)
        raw = conn.connection.driver_connection
        assert raw is not None
        with open(path, "xb") as on_disk, gzip.GzipFile(fileobj=on_disk, mode="wb", compresslevel=6) as packed:
            packed.write(MAGIC + "\t".join(COLUMNS).encode() + b"\n")
            written = 0
            with raw.cursor() as cur, cur.copy(f"COPY (SELECT {_QUOTED} FROM {part.name} ORDER BY acctid) TO STDOUT") as copy:
                for chunk in copy:
                    packed.write(chunk)
                    written += bytes(chunk).count(b"\n")
                    if written % _SHOWN_EVERY == 0:
                        progress(written)
            progress(written)
            packed.close()
            on_disk.flush()
            os.fsync(on_disk.fileno())
        conn.rollback()
    return snapshot


def drop(engine: Engine, part: Partition, archived: Held, cutoff: datetime, commit_archive: Callable[[], None]) -> None:
    """Drop the partition if it still holds exactly what was archived and every leg is older than
    `cutoff` (Changed otherwise, nothing dropped), with the writers' lock held; `commit_archive`
    (putting the verified archive under its final name) runs just before the commit. The calls of
    its legs get a new change sequence (the change feed and the report caches see them go); cdr_key
    forgets their natural keys, so importing the archive brings them back."""
    with engine.begin() as conn:
        lock_writers(conn)
        conn.execute(text(f"LOCK TABLE {part.name} IN ACCESS EXCLUSIVE MODE"))
        now = held(conn, part)
        if now != archived:
            raise Changed(f"{part.name} changed while it was archived (a leg re-decided?): kept; run again")
        if now.newest is not None and now.newest >= cutoff:
            raise Changed(f"{part.name} holds a leg of {now.newest:%Y-%m-%d %H:%M} UTC, not older than the cutoff: kept")
        conn.execute(text(f'DELETE FROM call_change WHERE "call" IN (SELECT "call" FROM {part.name} WHERE "call" IS NOT NULL)'))
        conn.execute(text(f'INSERT INTO call_change ("call") SELECT DISTINCT "call" FROM {part.name}'
                          ' WHERE "call" IS NOT NULL ORDER BY "call"'))
        conn.execute(text("DELETE FROM cdr_key WHERE acctid >= :lower AND acctid < :upper"),
                     {"lower": part.lower, "upper": part.upper})
        conn.execute(text(f"ALTER TABLE cdr DETACH PARTITION {part.name}"))
        conn.execute(text(f"DROP TABLE {part.name}"))
        commit_archive()

