"""The identity tables, in SQLAlchemy Core, on the store's shared `metadata` (migrations 0002_auth,
0006_auth_throttle)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, Table, Text, false, text

from calldata.store.schema import metadata
from calldata.store.types import GrowingId, UTCDateTime


def _user_id() -> Column[int]:
    return Column("user_id", GrowingId, ForeignKey("auth_user.id", ondelete="CASCADE"), nullable=False)


auth_user = Table(
    "auth_user",
    metadata,
    Column("id", GrowingId, primary_key=True, autoincrement=True),
    Column("login", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False, server_default=text("''")),
    Column("home", Text, nullable=False, server_default=text("''")),  # home company id
    Column("password_hash", Text, nullable=False),  # argon2id, PHC string
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("created_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)

# One row per permission and scope: scope "yes" (system-wide) or a company id.
auth_grant = Table(
    "auth_grant",
    metadata,
    Column("id", GrowingId, primary_key=True, autoincrement=True),
    _user_id(),
    Column("permission", Text, nullable=False),
    Column("scope", Text, nullable=False),
    sqlite_autoincrement=True,
)
Index("uq_auth_grant_user_permission_scope", auth_grant.c.user_id, auth_grant.c.permission,
      auth_grant.c.scope, unique=True)

# Sessions are found by a hash of their token: a copy of the table does not log anyone in.
auth_session = Table(
    "auth_session",
    metadata,
    Column("id", GrowingId, primary_key=True, autoincrement=True),
    Column("token_hash", Text, nullable=False, unique=True),
    _user_id(),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("address", Text, nullable=False, server_default=text("''")),
    sqlite_autoincrement=True,
)
Index("ix_auth_session_last_seen_at", auth_session.c.last_seen_at)

auth_key = Table(
    "auth_key",
    metadata,
    Column("id", GrowingId, primary_key=True, autoincrement=True),
    _user_id(),
    Column("name", Text, nullable=False, server_default=text("''")),
    Column("prefix", Text, nullable=False),  # the key's first characters, to recognise it in a list
    Column("key_hash", Text, nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
    sqlite_autoincrement=True,
)

# Password attempts reserved per bucket ("login:<name>", "address:<ip>") over a sliding window:
# failures, and checks still running (calldata.auth.throttle).
auth_failure = Table(
    "auth_failure",
    metadata,
    Column("id", GrowingId, primary_key=True, autoincrement=True),
    Column("bucket", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_auth_failure_bucket_at", auth_failure.c.bucket, auth_failure.c.at)
Index("ix_auth_failure_at", auth_failure.c.at)  # pruning every bucket

auth_audit = Table(
    "auth_audit",
    metadata,
    Column("id", GrowingId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),  # the first time
    Column("event", Text, nullable=False),
    Column("login", Text, nullable=False, server_default=text("''")),  # the account concerned
    Column("actor", Text, nullable=False, server_default=text("''")),  # who did it: cli, a login
    Column("address", Text, nullable=False, server_default=text("''")),
    Column("detail", Text, nullable=False, server_default=text("''")),
    # a repeated event (calldata.auth.audit.REPEATED): how often, and the last time, in its hour
    Column("count", Integer, nullable=False, server_default=text("1")),
    Column("last_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_auth_audit_last_at", auth_audit.c.last_at)  # listing, newest first; pruning
Index("ix_auth_audit_event_login_address_at", auth_audit.c.event, auth_audit.c.login,
      auth_audit.c.address, auth_audit.c.at)  # finding the row a repeated event counts into
