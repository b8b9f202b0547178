"""auth: users, grants, sessions, API keys, login failures, audit log

Revision ID: 0002_auth
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

revision = "0002_auth"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _id() -> sa.Column:
    return sa.Column("id", ID, autoincrement=True, nullable=False)


def _user_id() -> sa.Column:
    return sa.Column("user_id", ID, sa.ForeignKey("auth_user.id", ondelete="CASCADE"), nullable=False)


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), server_default=sa.text("''"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "auth_user",
        _id(),
        sa.Column("login", sa.Text(), nullable=False),
        _text("name"),
        _text("home"),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_user")),
        sa.UniqueConstraint("login", name=op.f("uq_auth_user_login")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "auth_grant",
        _id(),
        _user_id(),
        sa.Column("permission", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_grant")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "uq_auth_grant_user_permission_scope", "auth_grant", ["user_id", "permission", "scope"], unique=True
    )
    op.create_table(
        "auth_session",
        _id(),
        sa.Column("token_hash", sa.Text(), nullable=False),
        _user_id(),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_seen_at", WHEN, nullable=False),
        _text("address"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_session_token_hash")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_auth_session_last_seen_at", "auth_session", ["last_seen_at"])
    op.create_table(
        "auth_key",
        _id(),
        _user_id(),
        _text("name"),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=True),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.Column("last_used_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_auth_key_key_hash")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "auth_failure",
        _id(),
        sa.Column("bucket", sa.Text(), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_failure")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_auth_failure_bucket_at", "auth_failure", ["bucket", "at"])
    op.create_table(
        "auth_audit",
        _id(),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        _text("login"),
        _text("actor"),
        _text("address"),
        _text("detail"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_audit")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_auth_audit_at", "auth_audit", ["at"])


def downgrade() -> None:
    op.drop_index("ix_auth_audit_at", table_name="auth_audit")
    op.drop_table("auth_audit")
    op.drop_index("ix_auth_failure_bucket_at", table_name="auth_failure")
    op.drop_table("auth_failure")
    op.drop_table("auth_key")
    op.drop_index("ix_auth_session_last_seen_at", table_name="auth_session")
    op.drop_table("auth_session")
    op.drop_index("uq_auth_grant_user_permission_scope", table_name="auth_grant")
    op.drop_table("auth_grant")
    op.drop_table("auth_user")
