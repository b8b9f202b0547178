"""queue_stay, queue_stay_ring: one row per caller's stay in a queue, and its members rung

Revision ID: 0018_queue_stays
Revises: 0017_row_json

What the queue figures count (calldata.queues.stays.Stay: entered, outcome, wait, member, talk,
transferred; per member rung, ring-no-answers and busies), kept by calldata.queues.kept whenever
a caller's queue_log events are stored, so a month's figures read ~30,000 narrow rows instead of
re-reading and re-numbering its events. The tables are made empty: a store already holding
events fills them with `calldata queues rebuild` (docs/queues.md), which reads every caller's
events through stays.py (a migration may not import calldata.queues: tests/test_layers.py).
`wait` and `talk` are whole numbers of any size as logged: numeric (text on SQLite). On
PostgreSQL the (queue, entered) and (entered) indexes include what the figures read. The partial
indexes of the ENTERQUEUE lines (0013), which only the figures read, go.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_queue_stays"
down_revision = "0017_row_json"
branch_labels = None
depends_on = None

WHOLE = sa.Numeric().with_variant(sa.Text(), "sqlite")
ENTER = sa.text("event = 'ENTERQUEUE'")
# the columns the figures read beside the indexes' keys (PostgreSQL: an index-only scan)
STAY_READ = ["callid", "n", "outcome", "wait", "agent", "talk", "transferred"]
RING_READ = ["callid", "n", "agent", "unanswered", "busy"]


def upgrade() -> None:
    op.create_table(
        "queue_stay",
        sa.Column("callid", sa.Text(), nullable=False),
        sa.Column("n", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("entered", sa.BigInteger(), nullable=False),
        sa.Column("ended", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("wait", WHOLE, nullable=True),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("talk", WHOLE, nullable=True),
        sa.Column("transferred", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("callid", "n", name=op.f("pk_queue_stay")),
    )
    op.create_index("ix_queue_stay_queue_entered", "queue_stay", ["queue", "entered"], postgresql_include=STAY_READ)
    op.create_index("ix_queue_stay_entered", "queue_stay", ["entered"], postgresql_include=["queue", *STAY_READ])
    op.create_table(
        "queue_stay_ring",
        sa.Column("callid", sa.Text(), nullable=False),
        sa.Column("n", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("entered", sa.BigInteger(), nullable=False),
        sa.Column("unanswered", sa.Integer(), nullable=False),
        sa.Column("busy", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("callid", "n", "agent", name=op.f("pk_queue_stay_ring")),
    )
    op.create_index("ix_queue_stay_ring_queue_entered", "queue_stay_ring", ["queue", "entered"],
                    postgresql_include=RING_READ)
    op.create_index("ix_queue_stay_ring_entered", "queue_stay_ring", ["entered"], postgresql_include=["queue", *RING_READ])
    op.drop_index("ix_queue_event_enter_time", table_name="queue_event")
    op.drop_index("ix_queue_event_enter_queue_time", table_name="queue_event")


def downgrade() -> None:
    op.create_index("ix_queue_event_enter_queue_time", "queue_event", ["queue", "time"],
                    postgresql_include=["callid"], postgresql_where=ENTER, sqlite_where=ENTER)
    op.create_index("ix_queue_event_enter_time", "queue_event", ["time"],
                    postgresql_include=["queue", "callid"], postgresql_where=ENTER, sqlite_where=ENTER)
    op.drop_table("queue_stay_ring")
    op.drop_table("queue_stay")
