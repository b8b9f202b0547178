"""attribution: directory versions; cdr indexes on linkedid, uniqueid, channel, dstchannel, call

Revision ID: 0003_attribution
Revises: 0002_auth
"""

from alembic import op
import sqlalchemy as sa

revision = "0003_attribution"
down_revision = "0002_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_version",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("yaml", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_version")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_cdr_linkedid", "cdr", ["linkedid"])
    op.create_index("ix_cdr_uniqueid", "cdr", ["uniqueid"])
    op.create_index("ix_cdr_channel", "cdr", ["channel"])
    op.create_index("ix_cdr_dstchannel", "cdr", ["dstchannel"])
    op.create_index("ix_cdr_call", "cdr", ["call"])


def downgrade() -> None:
    op.drop_index("ix_cdr_call", table_name="cdr")
    op.drop_index("ix_cdr_dstchannel", table_name="cdr")
    op.drop_index("ix_cdr_channel", table_name="cdr")
    op.drop_index("ix_cdr_uniqueid", table_name="cdr")
    op.drop_index("ix_cdr_linkedid", table_name="cdr")
    op.drop_table("directory_version")
