"""an index for the dashboards: a company's billed legs of one period

Revision ID: 0014_dashboard_indexes
Revises: 0013_queue_enter_indexes

A dashboard reads the legs billed to a company (`bill_to`) in one month; (bill_to, acctid) gave
every month's, so a company's month read its whole year. (bill_to, calldate, acctid) gives the
month alone, as (company, calldate, acctid) and (target, calldate, acctid) do for the other sides.
"""

from alembic import op

revision = "0014_dashboard_indexes"
down_revision = "0013_queue_enter_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cdr_bill_to_calldate_acctid", "cdr", ["bill_to", "calldate", "acctid"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cdr_bill_to_calldate_acctid", table_name="cdr")
