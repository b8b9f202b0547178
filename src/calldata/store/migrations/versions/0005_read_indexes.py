"""indexes for the company-filtered page query of /rest/call/read

Revision ID: 0005_read_indexes
Revises: 0004_ingest

A reader restricted to some companies pages through the rows whose company, target or bill_to
is one of them; each (column, acctid) index lets calldata.store.reads walk one company's rows
in acctid order from minID, however rare they are in the table.
"""

from alembic import op

revision = "0005_read_indexes"
down_revision = "0004_ingest"
branch_labels = None
depends_on = None

COLUMNS = ("company", "target", "bill_to")


def upgrade() -> None:
    for column in COLUMNS:
        op.create_index(f"ix_cdr_{column}_acctid", "cdr", [column, "acctid"], unique=False)


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f"ix_cdr_{column}_acctid", table_name="cdr")
