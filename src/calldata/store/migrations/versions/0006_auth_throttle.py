"""auth: repeated audit events counted in one row; indexes to prune attempts and audit entries

Revision ID: 0006_auth_throttle
Revises: 0005_read_indexes

auth_audit gains `count` and `last_at` (an existing row happened once: last_at = at), an index
on last_at (listing newest first, pruning by age) and one to find the row a repeated event
counts into. auth_failure gains an index on `at` to forget old attempts of every bucket.
"""

from alembic import op
import sqlalchemy as sa

revision = "0006_auth_throttle"
down_revision = "0005_read_indexes"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
REPEAT_KEY = ["event", "login", "address", "at"]


def upgrade() -> None:
    with op.batch_alter_table("auth_audit", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("count", sa.Integer(), server_default=sa.text("1"), nullable=False))
        batch.add_column(sa.Column("last_at", WHEN, nullable=True))
    op.execute("UPDATE auth_audit SET last_at = at")
    with op.batch_alter_table("auth_audit", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column("last_at", existing_type=WHEN, nullable=False)
        batch.drop_index("ix_auth_audit_at")
        batch.create_index("ix_auth_audit_last_at", ["last_at"])
        batch.create_index("ix_auth_audit_event_login_address_at", REPEAT_KEY)
    op.create_index("ix_auth_failure_at", "auth_failure", ["at"])


def downgrade() -> None:
    op.drop_index("ix_auth_failure_at", table_name="auth_failure")
    with op.batch_alter_table("auth_audit", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_index("ix_auth_audit_event_login_address_at")
        batch.drop_index("ix_auth_audit_last_at")
        batch.create_index("ix_auth_audit_at", ["at"])
        batch.drop_column("last_at")
        batch.drop_column("count")
