"""indexes for the call reports (/rest/call/incalls and outcalls)

Revision ID: 0009_report_indexes
Revises: 0005_read_indexes

A report reads one company's legs of one period: its calls out by `company`, its calls in by
`target`; each (column, calldate) index gives that range without scanning other companies.
"""

from alembic import op

revision = "0009_report_indexes"
down_revision = "0005_read_indexes"
branch_labels = None
depends_on = None

COLUMNS = ("company", "target")


def upgrade() -> None:
    for column in COLUMNS:
        op.create_index(f"ix_cdr_{column}_calldate", "cdr", [column, "calldate"], unique=False)


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f"ix_cdr_{column}_calldate", table_name="cdr")
