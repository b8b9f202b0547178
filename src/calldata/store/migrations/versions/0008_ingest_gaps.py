"""ingest_source.given_up: keys a table source stopped waiting for

Revision ID: 0008_ingest_gaps
Revises: 0007_report_indexes

A skipped key that never appears is given up after `gap_wait` seconds of polling; the count is
kept with the source's other counters so `ingest status` and GET /metrics show it.
"""

from alembic import op
import sqlalchemy as sa

revision = "0008_ingest_gaps"
down_revision = "0007_report_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_source") as batch:
        batch.add_column(sa.Column("given_up", sa.BigInteger(), nullable=False, server_default=sa.text("0")))


def downgrade() -> None:
    with op.batch_alter_table("ingest_source") as batch:
        batch.drop_column("given_up")
