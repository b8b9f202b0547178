"""dashboards: the figures of closed days, per scope key, display zone and local day

Revision ID: 0016_dashboard_rollups
Revises: 0015_cdr_partitions

calldata.dashboards.schema: dashboard_day (a day stored) with its calls, billed legs, parties and
destinations, and dashboard_mark (the change sequence and acctids the stored days are good up to).
Empty at first: days are built when a dashboard asks for them, or by `calldata dashboards refresh`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_dashboard_rollups"
down_revision = "0015_cdr_partitions"
branch_labels = None
depends_on = None

_DAY = ("scope", "zone", "day")
_TABLES = ("dashboard_day", "dashboard_calls", "dashboard_billed", "dashboard_party", "dashboard_destination")


def _day() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column("scope", sa.Text(), nullable=False), sa.Column("zone", sa.Text(), nullable=False),
            sa.Column("day", sa.Date(), nullable=False)]


def _big(*names: str) -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "dashboard_mark",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        *_big("seq", "low", "high"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_mark")),
    )
    op.create_table("dashboard_day", *_day(), sa.PrimaryKeyConstraint(*_DAY, name=op.f("pk_dashboard_day")))
    op.create_table(
        "dashboard_calls", *_day(), sa.Column("quarter", sa.BigInteger(), nullable=False),
        sa.Column("direction", sa.Text(), nullable=False), sa.Column("answered", sa.Boolean(), nullable=False),
        *_big("calls", "talk"),
        sa.PrimaryKeyConstraint(*_DAY, "quarter", "direction", "answered", name=op.f("pk_dashboard_calls")),
    )
    op.create_table(
        "dashboard_billed", *_day(), sa.Column("quarter", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False), sa.Column("cost_currency", sa.Text(), nullable=False),
        *_big("legs", "billsec", "price", "cost", "unrated"),
        sa.PrimaryKeyConstraint(*_DAY, "quarter", "currency", "cost_currency", name=op.f("pk_dashboard_billed")),
    )
    op.create_table(
        "dashboard_party", *_day(), sa.Column("placed", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False), *_big("first", "carried"),
        sa.PrimaryKeyConstraint(*_DAY, "placed", "channel", name=op.f("pk_dashboard_party")),
    )
    op.create_table(
        "dashboard_destination", *_day(), sa.Column("number", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True), *_big("first", "carried", "billsec", "price", "unpriced"),
        sa.Column("low", sa.Text(), nullable=True), sa.Column("high", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(*_DAY, "number", name=op.f("pk_dashboard_destination")),
    )
    for table in _TABLES:  # a change drops days by zone and day, whatever the scope
        op.create_index(f"ix_{table}_zone_day", table, ["zone", "day"])


def downgrade() -> None:
    for table in (*reversed(_TABLES), "dashboard_mark"):
        op.drop_table(table)
