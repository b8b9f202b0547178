"""The audit log: logins, key use and every change to accounts, keys and grants. Never a secret."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from calldata.auth.schema import auth_audit

# Event names, as stored.
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGIN_THROTTLED = "login_throttled"
LOGOUT = "logout"
KEY_USED = "key_used"
KEY_CREATED = "key_created"
KEY_REVOKED = "key_revoked"
USER_ADDED = "user_added"
PASSWORD_CHANGED = "password_changed"
USER_DISABLED = "user_disabled"
USER_ENABLED = "user_enabled"
GRANTED = "granted"
REVOKED = "revoked"


def record(
    conn: Connection,
    event: str,
    login: str = "",
    *,
    actor: str = "",
    address: str = "",
    detail: str = "",
) -> None:
    conn.execute(
        insert(auth_audit),
        {
            "at": datetime.now(UTC),
            "event": event,
            "login": login[:200],
            "actor": actor[:200],
            "address": address,
            "detail": detail,
        },
    )


def listing(conn: Connection, login: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The newest entries first, optionally of one account."""
    query = select(auth_audit).order_by(auth_audit.c.id.desc()).limit(limit)
    if login is not None:
        query = query.where(auth_audit.c.login == login)
    return [dict(row._mapping) for row in conn.execute(query)]
