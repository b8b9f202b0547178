"""Per-user API keys: shown once at creation, stored as a keyed hash, optionally expiring, revocable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, insert, select, update

from calldata.auth import audit
from calldata.auth.schema import auth_grant, auth_key, auth_user
from calldata.auth.tokens import SHOWN_PREFIX, digest, new_api_key, same

# Use of a key is written to `last_used_at` and the audit log at most this often.
RECORD_USE_EVERY = timedelta(seconds=60)


class KeyProblem(ValueError):
    """A key operation that cannot be done."""


def create(
    conn: Connection,
    user_id: int,
    *,
    pepper: str,
    name: str = "",
    expires_at: datetime | None = None,
    actor: str,
) -> tuple[int, str]:
    """Make a key for the user; returns (key id, the key). The key itself is not kept."""
    login = conn.execute(select(auth_user.c.login).where(auth_user.c.id == user_id)).scalar_one()
    key = new_api_key()
    key_id = conn.execute(
        insert(auth_key).returning(auth_key.c.id),
        {
            "user_id": user_id,
            "name": name,
            "prefix": key[:SHOWN_PREFIX],
            "key_hash": digest(key, pepper),
            "created_at": datetime.now(UTC),
            "expires_at": expires_at,
        },
    ).scalar_one()
    expiry = expires_at.isoformat() if expires_at else "never"
    audit.record(conn, audit.KEY_CREATED, login, actor=actor,
                 detail=f"key {key_id} {key[:SHOWN_PREFIX]}... expires {expiry}")
    return key_id, key


def listing(conn: Connection, login: str | None = None) -> list[dict[str, Any]]:
    """Keys (never their secret part) with their owner's login, oldest first."""
    query = (
        select(auth_key.c.id, auth_user.c.login, auth_key.c.name, auth_key.c.prefix,
               auth_key.c.created_at, auth_key.c.expires_at, auth_key.c.revoked_at,
               auth_key.c.last_used_at)
        .join(auth_user, auth_user.c.id == auth_key.c.user_id)
        .order_by(auth_key.c.id)
    )
    if login is not None:
        query = query.where(auth_user.c.login == login)
    return [dict(r._mapping) for r in conn.execute(query)]


def revoke(conn: Connection, key_id: int, *, actor: str) -> None:
    row = conn.execute(
        select(auth_key.c.revoked_at, auth_key.c.prefix, auth_user.c.login)
        .join(auth_user, auth_user.c.id == auth_key.c.user_id)
        .where(auth_key.c.id == key_id)
    ).first()
    if row is None:
        raise KeyProblem(f"key {key_id}: no such key")
    if row.revoked_at is not None:
        raise KeyProblem(f"key {key_id}: already revoked")
    conn.execute(update(auth_key).where(auth_key.c.id == key_id).values(revoked_at=datetime.now(UTC)))
    audit.record(conn, audit.KEY_REVOKED, row.login, actor=actor, detail=f"key {key_id} {row.prefix}...")


class KeyHolder(NamedTuple):
    """The owner of a live key, with the (permission, scope) grants it holds."""

    key_id: int
    user_id: int
    login: str
    name: str
    home: str
    grants: list[tuple[str, str]]
    prefix: str
    last_used_at: datetime | None

    def use_due(self, now: datetime) -> bool:
        """Whether this use should be written down (at most every RECORD_USE_EVERY)."""
        return self.last_used_at is None or now - self.last_used_at > RECORD_USE_EVERY


# Built once: constructing the statement cost as much as running it. One statement (key, owner
# and grants joined), because it runs on every request a key makes.
HOLDER = (
    select(auth_key.c.id, auth_key.c.user_id, auth_key.c.key_hash, auth_key.c.expires_at,
           auth_key.c.revoked_at, auth_key.c.last_used_at, auth_key.c.prefix, auth_user.c.login,
           auth_user.c.name, auth_user.c.home, auth_user.c.disabled, auth_grant.c.permission,
           auth_grant.c.scope)
    .join(auth_user, auth_user.c.id == auth_key.c.user_id)
    .outerjoin(auth_grant, auth_grant.c.user_id == auth_user.c.id)
    .where(auth_key.c.key_hash == bindparam("key_hash"))
)


def live_holder(rows: Sequence[Mapping[Any, Any]], hashed: str, now: datetime) -> KeyHolder | None:
    """The holder `HOLDER`'s rows (as mappings) name for the key digest `hashed`, if the key is
    live (not revoked, not expired, owner enabled); else None."""
    row = rows[0] if rows else None
    if (
        row is None
        or not same(row["key_hash"], hashed)
        or row["revoked_at"] is not None
        or (row["expires_at"] is not None and row["expires_at"] <= now)
        or row["disabled"]
    ):
        return None
    grants = [(r["permission"], r["scope"]) for r in rows if r["permission"] is not None]
    return KeyHolder(row["id"], row["user_id"], row["login"], row["name"], row["home"], grants,
                     row["prefix"], row["last_used_at"])


def note_use(conn: Connection, holder: KeyHolder, now: datetime, address: str = "") -> None:
    """Write down a use of the key: its `last_used_at` and an audit entry."""
    conn.execute(update(auth_key).where(auth_key.c.id == holder.key_id).values(last_used_at=now))
    audit.record(conn, audit.KEY_USED, holder.login, actor=holder.login, address=address,
                 detail=f"key {holder.key_id} {holder.prefix}...")


def holder_of(conn: Connection, key: str, *, pepper: str, address: str = "") -> KeyHolder | None:
    """The owner and grants of `key` when it is live, else None; writes the use down when due."""
    hashed = digest(key, pepper)
    now = datetime.now(UTC)
    holder = live_holder([r._mapping for r in conn.execute(HOLDER, {"key_hash": hashed})], hashed, now)
    if holder is not None and holder.use_due(now):
        note_use(conn, holder, now, address)
    return holder
