"""Login sessions, stored in the database so that every server process sees the same ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from calldata.auth.schema import auth_session, auth_user
from calldata.auth.tokens import digest, new_session_token
from calldata.config import SESSION_TOUCH_SECONDS, Settings

# The session cookie's name, shared by the API's /rest/auth/ and the web console (one login for both).
COOKIE = "Red60urne"

# A session's last use is written at most this often (fewer writes; expiry stays accurate to it).
TOUCH_EVERY = timedelta(seconds=SESSION_TOUCH_SECONDS)


def secure_cookie(settings: Settings, scheme: str) -> bool:
    """Whether the session cookie is sent only over https: always when configured, else when this request came so."""
    return settings.cookie_secure or scheme == "https"


def create(conn: Connection, user_id: int, *, pepper: str, address: str = "") -> str:
    """Start a session; returns its token (given to the client once, stored only as a hash)."""
    token = new_session_token()
    now = datetime.now(UTC)
    conn.execute(
        insert(auth_session),
        {
            "token_hash": digest(token, pepper),
            "user_id": user_id,
            "created_at": now,
            "last_seen_at": now,
            "address": address,
        },
    )
    return token


def user_of(conn: Connection, token: str, *, pepper: str, idle: timedelta) -> int | None:
    """The user a live session belongs to (and mark it used), or None when unknown or idle too long."""
    now = datetime.now(UTC)
    row = conn.execute(
        select(auth_session.c.id, auth_session.c.user_id, auth_session.c.last_seen_at)
        .join(auth_user, auth_user.c.id == auth_session.c.user_id)
        .where(auth_session.c.token_hash == digest(token, pepper), auth_user.c.disabled.is_(False))
    ).first()
    if row is None or now - row.last_seen_at > idle:
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        conn.execute(update(auth_session).where(auth_session.c.id == row.id).values(last_seen_at=now))
    return row.user_id


def end(conn: Connection, token: str, *, pepper: str) -> bool:
    """Forget a session; True when there was one."""
    result = conn.execute(delete(auth_session).where(auth_session.c.token_hash == digest(token, pepper)))
    return result.rowcount > 0


def purge_idle(conn: Connection, idle: timedelta) -> int:
    """Delete sessions idle for longer than `idle`."""
    cutoff = datetime.now(UTC) - idle
    return conn.execute(delete(auth_session).where(auth_session.c.last_seen_at < cutoff)).rowcount
