"""Attribution's tables and indexes: directory versions, and the cdr indexes a call lookup needs."""

from __future__ import annotations

from sqlalchemy import Column, Index, Table, Text

from calldata.store.schema import cdr, metadata
from calldata.store.types import GrowingId, UTCDateTime

# Every directory loaded, kept whole: the current one is the highest id.
directory_version = Table(
    "directory_version",
    metadata,
    Column("id", GrowingId, primary_key=True, autoincrement=True),
    Column("loaded_at", UTCDateTime, nullable=False),
    Column("source", Text, nullable=False),  # the file it was loaded from
    Column("sha256", Text, nullable=False),
    Column("yaml", Text, nullable=False),  # the file's text, as the operator wrote it
    sqlite_autoincrement=True,
)

# Finding the other legs of a call as rows arrive: by linkedid (uniqueid before Asterisk 1.8),
# by shared channel, by call id. On PostgreSQL the uniqueid index also holds the company columns
# (calldata.store.reads.COMPANY_COLUMNS): a company-scoped queue report checks each caller's legs
# by uniqueid and company with an index-only probe (calldata.queues.query.attributed; 0019).
Index("ix_cdr_linkedid", cdr.c.linkedid)
Index("ix_cdr_uniqueid", cdr.c.uniqueid, postgresql_include=["company", "target", "bill_to"])
Index("ix_cdr_channel", cdr.c.channel)
Index("ix_cdr_dstchannel", cdr.c.dstchannel)
Index("ix_cdr_call", cdr.c.call)
