"""queue_event: the ENTERQUEUE lines indexed on their own, for the statistics of a period

Revision ID: 0013_queue_enter_indexes
Revises: 0012_recordings

The statistics start from the stays entered in a period: the ENTERQUEUE lines of a queue (or of
every queue) in it. Partial indexes holding only those lines, with the callid beside them
(INCLUDE, PostgreSQL), are read without touching the table; they replace the (queue, time) index
of every event, which nothing else reads (a call's events are found by callid).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_queue_enter_indexes"
down_revision = "0012_recordings"
branch_labels = None
depends_on = None

ENTER = sa.text("event = 'ENTERQUEUE'")


def upgrade() -> None:
    op.create_index("ix_queue_event_enter_queue_time", "queue_event", ["queue", "time"],
                    postgresql_include=["callid"], postgresql_where=ENTER, sqlite_where=ENTER)
    op.create_index("ix_queue_event_enter_time", "queue_event", ["time"],
                    postgresql_include=["queue", "callid"], postgresql_where=ENTER, sqlite_where=ENTER)
    op.drop_index("ix_queue_event_queue_time", table_name="queue_event")


def downgrade() -> None:
    op.create_index("ix_queue_event_queue_time", "queue_event", ["queue", "time"])
    op.drop_index("ix_queue_event_enter_time", table_name="queue_event")
    op.drop_index("ix_queue_event_enter_queue_time", table_name="queue_event")
