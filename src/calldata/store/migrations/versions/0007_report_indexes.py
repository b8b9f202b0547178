"""indexes for the call reports (/rest/call/incalls and outcalls)

Revision ID: 0007_report_indexes
Revises: 0006_auth_throttle

A report reads one company's legs of one period: its calls out by `company`, its calls in by
`target`; each (column, calldate, acctid) index gives that range already in the report's order
(calldate, acctid) without reading other companies' rows.
"""

from alembic import op

revision = "0007_report_indexes"
down_revision = "0006_auth_throttle"
branch_labels = None
depends_on = None

COLUMNS = ("company", "target")


def upgrade() -> None:
    for column in COLUMNS:
        op.create_index(f"ix_cdr_{column}_calldate_acctid", "cdr", [column, "calldate", "acctid"], unique=False)


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f"ix_cdr_{column}_calldate_acctid", table_name="cdr")
