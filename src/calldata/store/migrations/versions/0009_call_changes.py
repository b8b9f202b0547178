"""the call change feed (/rest/call/calls with `changed`)

Revision ID: 0009_call_changes
Revises: 0008_ingest_gaps

Each call id once, numbered by the last write of attribution to one of its legs, so a client
can ask for the calls that changed after the last number it saw. Calls already stored are
entered in the order of their first acctid.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_call_changes"
down_revision = "0008_ingest_gaps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_change",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("call", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_call_change")),
        sqlite_autoincrement=True,
    )
    op.create_index("uq_call_change_call", "call_change", ["call"], unique=True)
    op.execute(
        'INSERT INTO call_change ("call") SELECT "call" FROM cdr WHERE "call" IS NOT NULL'
        ' GROUP BY "call" ORDER BY min(acctid)'
    )


def downgrade() -> None:
    op.drop_index("uq_call_change_call", table_name="call_change")
    op.drop_table("call_change")
