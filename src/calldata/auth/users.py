"""Accounts and their grants in the store. Every change is written to the audit log."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from calldata.auth import audit
from calldata.auth.passwords import hash_password
from calldata.auth.permissions import SYSTEM_WIDE, COMPANY_ID, check_grant, grants_by_permission
from calldata.auth.schema import auth_grant, auth_session, auth_user


# A login: something a client can send in JSON and an operator can type in a shell without quotes.
LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


class AccountError(ValueError):
    """An account operation that cannot be done (duplicate login, no such user...)."""


def add_user(
    conn: Connection,
    login: str,
    password: str,
    *,
    name: str = "",
    home: str = "",
    profile: str,
    actor: str,
) -> int:
    """Create an account; returns its id."""
    if not LOGIN.fullmatch(login):
        raise AccountError(
            f"login {login!r}: 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
        )
    if home and not COMPANY_ID.fullmatch(home):
        raise AccountError(f"home company {home!r}: a company id is 1-32 letters, digits or _")
    if conn.execute(select(auth_user.c.id).where(auth_user.c.login == login)).first():
        raise AccountError(f"login {login!r}: already exists")
    user_id = conn.execute(
        insert(auth_user).returning(auth_user.c.id),
        {
            "login": login,
            "name": name,
            "home": home,
            "password_hash": hash_password(password, profile),
            "created_at": datetime.now(UTC),
        },
    ).scalar_one()
    audit.record(conn, audit.USER_ADDED, login, actor=actor, detail=f"home={home}")
    return user_id


def find(conn: Connection, login: str) -> dict[str, Any] | None:
    row = conn.execute(select(auth_user).where(auth_user.c.login == login)).first()
    return dict(row._mapping) if row else None


def get(conn: Connection, login: str) -> dict[str, Any]:
    user = find(conn, login)
    if user is None:
        raise AccountError(f"login {login!r}: no such user")
    return user


def listing(conn: Connection) -> list[dict[str, Any]]:
    """Every account with its wire-form perms, by login."""
    users = [dict(r._mapping) for r in conn.execute(select(auth_user).order_by(auth_user.c.login))]
    for user in users:
        user["grants"] = grants(conn, user["id"])
    return users


def grants(conn: Connection, user_id: int) -> dict[str, frozenset[str]]:
    rows = conn.execute(
        select(auth_grant.c.permission, auth_grant.c.scope).where(auth_grant.c.user_id == user_id)
    )
    return grants_by_permission((p, s) for p, s in rows)


def set_password(conn: Connection, login: str, password: str, *, profile: str, actor: str) -> None:
    """Change the password and end the account's sessions."""
    user = get(conn, login)
    conn.execute(
        update(auth_user)
        .where(auth_user.c.id == user["id"])
        .values(password_hash=hash_password(password, profile))
    )
    conn.execute(delete(auth_session).where(auth_session.c.user_id == user["id"]))
    audit.record(conn, audit.PASSWORD_CHANGED, login, actor=actor)


def rehash_password(conn: Connection, user_id: int, password: str, profile: str) -> None:
    """Store the hash again with the configured parameters (after a successful login)."""
    conn.execute(
        update(auth_user)
        .where(auth_user.c.id == user_id)
        .values(password_hash=hash_password(password, profile))
    )


def set_disabled(conn: Connection, login: str, disabled: bool, *, actor: str) -> None:
    """Disable (ending its sessions; its keys stop working) or enable an account."""
    user = get(conn, login)
    conn.execute(update(auth_user).where(auth_user.c.id == user["id"]).values(disabled=disabled))
    if disabled:
        conn.execute(delete(auth_session).where(auth_session.c.user_id == user["id"]))
    audit.record(conn, audit.USER_DISABLED if disabled else audit.USER_ENABLED, login, actor=actor)


def grant(
    conn: Connection, login: str, permission: str, companies: Sequence[str] = (), *, actor: str
) -> None:
    """Grant a permission system-wide (no companies) or for each of the companies."""
    scopes = list(companies) or [SYSTEM_WIDE]
    for scope in scopes:
        check_grant(permission, scope)
    user = get(conn, login)
    have = grants(conn, user["id"]).get(permission, frozenset())
    for scope in scopes:
        if scope in have:
            continue
        conn.execute(
            insert(auth_grant), {"user_id": user["id"], "permission": permission, "scope": scope}
        )
        audit.record(conn, audit.GRANTED, login, actor=actor, detail=f"{permission}: {scope}")


def revoke(
    conn: Connection, login: str, permission: str, companies: Sequence[str] = (), *, actor: str
) -> int:
    """Take a permission back: for the companies given, or entirely. Returns grants removed."""
    user = get(conn, login)
    stmt = delete(auth_grant).where(
        auth_grant.c.user_id == user["id"], auth_grant.c.permission == permission
    )
    if companies:
        stmt = stmt.where(auth_grant.c.scope.in_(list(companies)))
    removed = conn.execute(stmt).rowcount
    if removed:
        scope = ", ".join(companies) if companies else "all scopes"
        audit.record(conn, audit.REVOKED, login, actor=actor, detail=f"{permission}: {scope}")
    return removed
