"""coverage: the attribution coverage report's figures per UTC day

Revision ID: 0021_coverage_days
Revises: 0020_report_days

calldata.coverage.schema: coverage_day (a day's counts), coverage_key (the channel base names,
contexts and dialled numbers of its rows lacking some property, counted) and coverage_mark (the
change sequence and acctids the stored days are good up to). Empty at first: days are stored when
the report asks for them (the console's /admin/attribution, `calldata attribution report`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_coverage_days"
down_revision = "0020_report_days"
branch_labels = None
depends_on = None

_COUNTED = ("rows", "attributed", "company_or_target", "company", "target", "src_ext", "dial_short", "dial_full",
            "trunk", "bill_to", "xfer", "auth", "call_rec")  # attribution.report.COUNTED when written


def upgrade() -> None:
    op.create_table(
        "coverage_mark",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in ("seq", "low", "high")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_mark")),
    )
    op.create_table(
        "coverage_day",
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in _COUNTED),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_coverage_day")),
    )
    op.create_table(
        "coverage_key",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "kind", "key", name=op.f("pk_coverage_key")),
    )


def downgrade() -> None:
    for table in ("coverage_key", "coverage_day", "coverage_mark"):
        op.drop_table(table)
