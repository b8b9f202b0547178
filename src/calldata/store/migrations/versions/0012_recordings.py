"""recordings: the audio files MixMonitor wrote, tied to their legs

Revision ID: 0012_recordings
Revises: 0011_queue_log

Also a partial index on cdr.call_rec (only recorded legs), so a scan finds the legs naming its
files without reading the whole table.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_recordings"
down_revision = "0011_queue_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recording",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("mtime", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("acctid", sa.BigInteger(), nullable=True),
        sa.Column("uniqueid", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording")),
        sa.UniqueConstraint("path", name=op.f("uq_recording_path")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_recording_acctid", "recording", ["acctid"])
    op.create_index("ix_cdr_call_rec", "cdr", ["call_rec"], postgresql_where=sa.text("call_rec <> ''"),
                    sqlite_where=sa.text("call_rec <> ''"))


def downgrade() -> None:
    op.drop_index("ix_cdr_call_rec", table_name="cdr")
    op.drop_index("ix_recording_acctid", table_name="recording")
    op.drop_table("recording")
