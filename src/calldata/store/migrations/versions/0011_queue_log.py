"""queue_log: Asterisk's queue events

Revision ID: 0011_queue_log
Revises: 0010_rating

A queue event's `callid` is the caller's CDR `uniqueid` (indexed since 0003_attribution).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_queue_log"
down_revision = "0010_rating"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("callid", sa.Text(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        *(sa.Column(f"data{n}", sa.Text(), nullable=False, server_default="") for n in range(1, 6)),
        sa.Column("natkey", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_event")),
        sa.UniqueConstraint("natkey", name=op.f("uq_queue_event_natkey")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_queue_event_callid_time", "queue_event", ["callid", "time"])
    op.create_index("ix_queue_event_queue_time", "queue_event", ["queue", "time"])


def downgrade() -> None:
    op.drop_index("ix_queue_event_queue_time", table_name="queue_event")
    op.drop_index("ix_queue_event_callid_time", table_name="queue_event")
    op.drop_table("queue_event")
