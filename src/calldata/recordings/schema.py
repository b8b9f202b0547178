"""The `recording` table: one row per audio file under the recordings directory (migration 0012_recordings)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, Table, Text, text

from calldata.store.schema import cdr, metadata
from calldata.store.types import GrowingId, UTCDateTime

recording = Table(
    "recording",
    metadata,
    Column("id", GrowingId, primary_key=True, autoincrement=True),
    Column("path", Text, nullable=False, unique=True),  # relative to the directory, "/"-separated
    Column("size", BigInteger, nullable=False),
    Column("duration_ms", Integer),  # NULL: the format's length is not known without decoding it
    Column("mtime", UTCDateTime, nullable=False),
    Column("content_type", Text, nullable=False),
    # the leg it records (NULL: none found yet; every scan tries again)
    Column("acctid", BigInteger),
    Column("uniqueid", Text, nullable=False, server_default=text("''")),
    sqlite_autoincrement=True,
)
Index("ix_recording_acctid", recording.c.acctid)
# a scan finds the legs naming its files; few legs are recorded, so only those are indexed
Index("ix_cdr_call_rec", cdr.c.call_rec, postgresql_where=cdr.c.call_rec != "", sqlite_where=cdr.c.call_rec != "")
