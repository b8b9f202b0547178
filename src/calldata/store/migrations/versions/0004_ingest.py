"""ingest: one row per live source (checkpoint and counters)

Revision ID: 0004_ingest
Revises: 0003_attribution
"""

from alembic import op
import sqlalchemy as sa

revision = "0004_ingest"
down_revision = "0003_attribution"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_source",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("position", sa.Text(), nullable=False, server_default=sa.text("''")),
        sa.Column("inserted", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("present", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("quarantined", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("reconnects", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("newest_calldate", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False, server_default=sa.text("''")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ingest_source")),
    )


def downgrade() -> None:
    op.drop_table("ingest_source")
