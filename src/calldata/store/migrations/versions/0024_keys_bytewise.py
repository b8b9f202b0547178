"""Asterisk's identifiers and the natural keys compare byte by byte (COLLATE "C", PostgreSQL)

Revision ID: 0024_keys_bytewise
Revises: 0023_row_json_given

Channels, uniqueids, company ids and natural keys are identifiers, never sorted for a reader, but
the btree indexes on them (12 of cdr's 15) compared them in the database's locale: strcoll for
every comparison of an index insert, 20% of the one writer's CPU in an import on an en-US database
(bench/RESULTS.md, "Identifiers compared byte by byte"). "C" compares them with memcmp; equality
is the same under any deterministic collation, and the order is SQLite's (BINARY), so both stores
now sort them alike. A collation is not stored in the rows: PostgreSQL rebuilds the indexes on
these columns, not the table, holding the tables locked meanwhile (docs/deployment.md: timing).
A comparison with a column of the database's collation is made in "C" (a non-default implicit
collation wins), which that column's index cannot serve: queue_log's callids, joined to
cdr.uniqueid, change with it. SQLite already compares bytes: nothing to do.
"""

from alembic import op
from sqlalchemy import text

revision = "0024_keys_bytewise"
down_revision = "0023_row_json_given"
branch_labels = None
depends_on = None

# calldata.store.schema.BYTEWISE (a migration names its columns as they were when it was written)
COLUMNS = {
    "cdr": ("channel", "dstchannel", "uniqueid", "linkedid", "natkey",
            "company", "target", "bill_to", "call", "call_rec"),
    "cdr_key": ("natkey",),
    "call_change": ("call",),
    # a caller's queue_log callid is its legs' uniqueid: joined to cdr.uniqueid, so compared alike
    # (two different collations could not use each other's indexes)
    "queue_event": ("callid", "natkey"),
    "queue_stay": ("callid",),
    "queue_stay_ring": ("callid",),
}


def _collate(collation: str) -> None:
    """One ALTER TABLE a table, so each index on several of its columns is rebuilt once."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        op.execute(text(f"ALTER TABLE {table} "
                        + ", ".join(f'ALTER COLUMN "{c}" TYPE text COLLATE "{collation}"' for c in columns)))


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
