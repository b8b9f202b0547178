"""The audit log: logins, key use and every change to accounts, keys and grants. Never a secret.

Events anyone can cause over and over (failed and throttled logins, logins with inline
credentials, key use, recordings played or refused) are kept as one row per identical event per
hour, with a count and the times of the first and last; old rows are pruned after the retention
the settings give.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

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
RECORDING_PLAYED = "recording_played"  # a recording downloaded (detail: its file)
RECORDING_REFUSED = "recording_refused"  # a recording's name that tried to leave the directory

# Events counted into one row per (event, login, actor, address, detail) and AGGREGATE window.
REPEATED = frozenset({LOGIN, LOGIN_FAILED, LOGIN_THROTTLED, KEY_USED, RECORDING_PLAYED, RECORDING_REFUSED})
AGGREGATE = timedelta(hours=1)


def record(
    conn: Connection,
    event: str,
    login: str = "",
    *,
    actor: str = "",
    address: str = "",
    detail: str = "",
) -> None:
    """Write an event down; a REPEATED event adds to the count of its row of the last hour."""
    now = datetime.now(UTC)
    values = {"event": event, "login": login[:200], "actor": actor[:200], "address": address,
              "detail": detail}
    if event in REPEATED:
        same = select(func.max(auth_audit.c.id)).where(
            *(auth_audit.c[name] == value for name, value in values.items()),
            auth_audit.c.at > now - AGGREGATE,
        ).scalar_subquery()
        counted = conn.execute(
            update(auth_audit)
            .where(auth_audit.c.id == same)
            .values(count=auth_audit.c.count + 1, last_at=now)
        ).rowcount
        if counted:
            return
    conn.execute(insert(auth_audit), {**values, "at": now, "last_at": now})


def prune(conn: Connection, retention_days: int) -> None:
    """Delete the entries whose last event is older than the retention (0: keep everything)."""
    if retention_days > 0:
        cutoff = datetime.now(UTC) - timedelta(days=retention_days)
        conn.execute(delete(auth_audit).where(auth_audit.c.last_at <= cutoff))


def listing(conn: Connection, login: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The most recently seen entries first, optionally of one account."""
    query = select(auth_audit).order_by(auth_audit.c.last_at.desc(), auth_audit.c.id.desc()).limit(limit)
    if login is not None:
        query = query.where(auth_audit.c.login == login)
    return [dict(row._mapping) for row in conn.execute(query)]
