"""Credentials -> `Identity`: password logins (throttled), sessions and API keys.

Every failure is an `AuthFailure` carrying the HTTP status and a message that never tells an
unknown login from a wrong password or a disabled account; an unknown login costs the same
argon2 verification as a known one. Every step is a short transaction that is run again when
the database drops its connection; one it cannot finish raises StoreUnavailable instead.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, select

from calldata.auth import audit, keys, passwords, sessions, throttle, users
from calldata.auth.key_cache import KeyCache
from calldata.auth.recent import RecentPasswords
from calldata.auth.permissions import Identity, grants_by_permission
from calldata.auth.schema import auth_grant, auth_user
from calldata.auth.tokens import digest
from calldata.config import Settings
from calldata.store.asyncpg_pool import AsyncpgPool
from calldata.store.retry import autocommit, transaction

NOT_AUTHENTICATED = (
    "auth: not authenticated; log in with POST /rest/auth/, or send auth credentials or an API key"
)
WRONG_LOGIN = "auth: wrong username or password"
BAD_KEY = "auth.key: not a valid API key (unknown, expired or revoked)"
BAD_SESSION = "session: unknown or expired; log in again"
HOUSEKEEPING_SECONDS = 3600


def throttled(retry_after: int) -> str:
    """The 429 message: how long until a login can be tried again."""
    return f"auth: too many failed logins; try again in {retry_after} s"


class AuthFailure(Exception):
    """Authentication did not succeed; `status` is 400, 401 or 429 (with `retry_after` seconds)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request offers to prove who it is (at most one kind is used)."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    key: str | None = field(default=None, repr=False)
    session: str | None = field(default=None, repr=False)


def credentials(body_auth: object, authorization: str | None, cookie: str | None) -> Credentials:
    """Pick the credentials of a request: `auth` in the body, else a Bearer key, else the cookie.

    Raises AuthFailure(400) for a malformed `auth` member.
    """
    if body_auth is not None:
        return _body_credentials(body_auth)
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthFailure(400, "Authorization: expected 'Bearer <API key>'")
        return Credentials(key=token.strip())
    if cookie:
        return Credentials(session=cookie)
    return Credentials()


def _body_credentials(auth: object) -> Credentials:
    if not isinstance(auth, dict):
        raise AuthFailure(400, "auth: must be an object")
    if auth.get("type", "auth") != "auth":
        raise AuthFailure(400, 'auth.type: must be "auth"')
    for member in ("username", "password", "key"):
        if member in auth and not isinstance(auth[member], str):
            raise AuthFailure(400, f"auth.{member}: must be a string")
    if "key" in auth:
        if "username" in auth or "password" in auth:
            raise AuthFailure(400, "auth: give either key, or username and password")
        return Credentials(key=auth["key"])
    if "username" not in auth or "password" not in auth:
        missing = "auth.username" if "username" not in auth else "auth.password"
        raise AuthFailure(400, f"{missing}: missing (or give auth.key)")
    return Credentials(username=auth["username"], password=auth["password"])


def _key_identity(holder: keys.KeyHolder | None) -> Identity:
    if holder is None:
        raise AuthFailure(401, BAD_KEY)
    return Identity(
        user_id=holder.user_id,
        login=holder.login,
        name=holder.name,
        home=holder.home,
        grants=grants_by_permission(holder.grants),
        via="key",
        key_id=holder.key_id,
    )


class Authenticator:
    """Checks credentials against the store with the configured limits and idle time."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.settings = settings
        self.idle = timedelta(seconds=settings.session_idle_seconds)
        self.window = timedelta(seconds=settings.login_failure_window_seconds)
        passwords.dummy_hash(settings.password_hash_profile)  # also checks the profile name
        self.recent = RecentPasswords(settings.password_cache_seconds)
        self.housekeeping_due = 0.0  # time.monotonic() of the next prune
        # keys looked up on the asyncpg pool, kept while a listener hears the store's changes
        # (calldata.auth.key_cache; off until one is started, and with CALLDATA_KEY_CACHE=false)
        self.key_cache = KeyCache()

    def identify(self, creds: Credentials, address: str = "") -> Identity:
        """The identity the credentials prove, without starting a session."""
        self._housekeeping()
        if creds.username is not None and creds.password is not None:
            return self.login(creds.username, creds.password, address, start_session=False)
        key, token = creds.key, creds.session
        if key is not None:
            return autocommit(self.autocommit, lambda conn: self.key_identity(conn, key, address))
        if token is not None:
            identity = autocommit(self.autocommit, lambda conn: self._session_identity(conn, token))
            if identity is None:
                raise AuthFailure(401, BAD_SESSION)
            return identity
        raise AuthFailure(401, NOT_AUTHENTICATED)

    def _session_identity(self, conn: Connection, token: str) -> Identity | None:
        """In autocommit: a lookup and at most a last-use timestamp, both fine to run twice."""
        user_id = sessions.user_of(conn, token, pepper=self.settings.token_pepper, idle=self.idle)
        return None if user_id is None else _identity(conn, user_id, "session", session=token)

    def key_identity(self, conn: Connection, key: str, address: str = "") -> Identity:
        """The identity an API key proves, in one statement on `conn`.

        `conn` should be in autocommit: the read needs no transaction, and the rare last-use
        note commits on its own. The key is looked up afresh each time, so a revoked key or a
        withdrawn grant counts from the next request. Raises AuthFailure(401).
        """
        return _key_identity(keys.holder_of(conn, key, pepper=self.settings.token_pepper, address=address))

    async def key_identity_pooled(self, pool: AsyncpgPool, key: str, address: str = "") -> Identity:
        """`key_identity` with the lookup on the API's asyncpg pool (it runs on every request a
        billing client makes), or none while `key_cache` keeps the key; the use note, once a
        minute at most, on the engine in a thread."""
        hashed = digest(key, self.settings.token_pepper)
        cache = self.key_cache
        rows = cache.get(hashed)
        if rows is None:
            generation = cache.generation
            rows = await pool.fetch(keys.HOLDER, {"key_hash": hashed})
            cache.keep(hashed, rows, generation)
        now = datetime.now(UTC)
        holder = keys.live_holder(rows, hashed, now)
        if holder is not None and holder.use_due(now):
            await asyncio.to_thread(self._note_use, holder, now, address)
            cache.forget(hashed)  # its kept last_used_at is older than the use just written
        return _key_identity(holder)

    def _note_use(self, holder: keys.KeyHolder, now: datetime, address: str) -> None:
        self._housekeeping()  # the asyncpg path's only visit to this engine, once a minute per key
        autocommit(self.autocommit, lambda conn: keys.note_use(conn, holder, now, address))

    def login(
        self,
        login: str,
        password: str,
        address: str = "",
        *,
        start_session: bool = True,
        reuse: str | None = None,
    ) -> Identity:
        """Check a password; with `start_session`, keep (`reuse`, when it is this user's live
        session) or start a session. Raises AuthFailure 401, or 429 when throttled.

        The attempt is reserved in the throttling buckets before argon2 runs (a password this
        process verified moments ago only checks that no bucket is full): see auth.throttle.
        Each step is one transaction, committed once however often the database drops its
        connection (calldata.store.retry)."""
        s = self.settings
        limits = [throttle.Limit(throttle.login_bucket(login), s.login_failures_per_login),
                  throttle.Limit(throttle.address_bucket(address), s.login_failures_per_address)]
        self._housekeeping()

        def reserve(conn: Connection) -> tuple[dict[str, Any] | None, bool, list[int]]:
            user = users.find(conn, login)
            stored = user["password_hash"] if user else None
            if stored and self.recent.verified(stored, password):
                throttle.check(conn, limits, self.window)
                return user, True, []
            return user, False, throttle.reserve(conn, limits, self.window)

        try:
            user, known, reserved = transaction(self.engine, reserve)
        except throttle.Throttled as exc:
            self._throttled(login, address, by_login=exc.bucket == limits[0].bucket)
            raise AuthFailure(429, throttled(exc.retry_after), retry_after=exc.retry_after) from None
        # argon2 runs outside any transaction; an unknown login verifies a dummy hash.
        stored = user["password_hash"] if user else None
        matches = known or passwords.verify(stored, password, s.password_hash_profile)
        if user is None or not matches or user["disabled"]:
            reason = "no such login" if user is None else "disabled" if matches else "wrong password"
            transaction(self.engine, lambda conn: audit.record(  # the reservation stays: it is the failure
                conn, audit.LOGIN_FAILED, login, address=address, detail=reason))
            raise AuthFailure(401, WRONG_LOGIN)
        self.recent.remember(user["password_hash"], password)
        user_id = user["id"]

        def succeed(conn: Connection) -> Identity:
            throttle.release(conn, reserved)
            if passwords.needs_rehash(stored, s.password_hash_profile):
                users.rehash_password(conn, user_id, password, s.password_hash_profile)
            token = None
            if start_session:
                token = self._session_for(conn, user_id, reuse, address)
            how = ("session reused" if token == reuse else "session") if start_session else "inline"
            audit.record(conn, audit.LOGIN, login, actor=login, address=address, detail=how)
            return _identity(conn, user_id, "session" if start_session else "password", session=token)

        return transaction(self.engine, succeed)

    def _throttled(self, login: str, address: str, *, by_login: bool) -> None:
        """Audit a refused attempt. Refused for its address, it is counted without the login
        name, so cycling through names adds to one row per address and hour, not one each."""
        who, limit = (login, "login limit") if by_login else ("", "address limit")
        transaction(self.engine, lambda conn: audit.record(
            conn, audit.LOGIN_THROTTLED, who, address=address, detail=limit))

    def _housekeeping(self) -> None:
        """At most once an hour per process, on a request that needs identity: forget attempts
        older than the throttling window, prune the audit log."""
        now = time.monotonic()
        if now < self.housekeeping_due:
            return
        self.housekeeping_due = now + HOUSEKEEPING_SECONDS

        def prune(conn: Connection) -> None:
            throttle.prune(conn, self.window)
            audit.prune(conn, self.settings.audit_retention_days)

        transaction(self.engine, prune)

    def _session_for(self, conn: Connection, user_id: int, reuse: str | None, address: str) -> str:
        pepper = self.settings.token_pepper
        if reuse and sessions.user_of(conn, reuse, pepper=pepper, idle=self.idle) == user_id:
            return reuse
        sessions.purge_idle(conn, self.idle)
        return sessions.create(conn, user_id, pepper=pepper, address=address)

    def logout(self, token: str, address: str = "") -> bool:
        """End a live session; False when it was unknown or had expired."""
        pepper = self.settings.token_pepper

        def end(conn: Connection) -> bool:
            user_id = sessions.user_of(conn, token, pepper=pepper, idle=self.idle)
            if user_id is None:
                return False
            sessions.end(conn, token, pepper=pepper)
            login = conn.execute(select(auth_user.c.login).where(auth_user.c.id == user_id)).scalar_one()
            audit.record(conn, audit.LOGOUT, login, actor=login, address=address)
            return True

        return transaction(self.engine, end)


def _identity(
    conn: Connection, user_id: int, via: str, *, session: str | None = None, key_id: int | None = None
) -> Identity:
    """The user and its grants, in one round trip (this runs on every authenticated request)."""
    rows = conn.execute(
        select(auth_user.c.id, auth_user.c.login, auth_user.c.name, auth_user.c.home,
               auth_grant.c.permission, auth_grant.c.scope)
        .outerjoin(auth_grant, auth_grant.c.user_id == auth_user.c.id)
        .where(auth_user.c.id == user_id)
    ).all()
    user = rows[0]
    return Identity(
        user_id=user.id,
        login=user.login,
        name=user.name,
        home=user.home,
        grants=grants_by_permission((r.permission, r.scope) for r in rows if r.permission is not None),
        via=via,
        session=session,
        key_id=key_id,
    )
