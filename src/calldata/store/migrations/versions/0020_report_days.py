"""report_day: the day tables of call reports, kept in the store for every server process

Revision ID: 0020_report_days
Revises: 0019_cdr_uniqueid_covering

calldata.reports.schema: one row per report part (its kind, company, names and directory version,
hashed) and day of a period, with the store's mark it was read at, the span of legs it read and
its table (msgpack, zlib-compressed). A server process that never tabulated a day reads it from here while no
change since its mark touched those legs (calldata.reports.kept). Empty at first: days are written
as reports are tabulated, or by `calldata reports refresh`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_report_days"
down_revision = "0019_cdr_uniqueid_covering"
branch_labels = None
depends_on = None


def _big(*names: str) -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "report_day",
        sa.Column("part", sa.Text(), nullable=False),
        *_big("start", "end", "first", "last"),
        sa.Column("directory", sa.Integer(), nullable=False),
        *_big("seq", "low", "high", "event", "since", "until"),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("used", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("part", "start", "end", "first", name=op.f("pk_report_day")),
    )
    op.create_index("ix_report_day_used", "report_day", ["used"])


def downgrade() -> None:
    op.drop_table("report_day")
