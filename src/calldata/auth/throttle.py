"""Login throttling: password checks reserved per login name and per client address, in the database.

Stored rather than kept in memory so that every server process counts the same attempts. An
attempt reserves its place in every bucket before its password is checked, in one transaction
that holds the buckets' locks, so however many attempts arrive at once no more than the limit
get checked. A failed check keeps its reservation (it is the failure); a successful one gives
its own back, so it neither counts nor clears anyone's failures. The window slides: a bucket
refuses while it holds `most` attempts younger than the window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Connection, delete, func, insert, literal, select

from calldata.auth.schema import auth_failure
from calldata.store.types import UTCDateTime


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `most` attempts per window in `bucket`."""

    bucket: str
    most: int


class Throttled(Exception):
    """`bucket` is full; `retry_after` whole seconds until it takes an attempt again."""

    def __init__(self, bucket: str, retry_after: int) -> None:
        super().__init__(f"{bucket}: throttled for {retry_after} s")
        self.bucket = bucket
        self.retry_after = retry_after


def login_bucket(login: str) -> str:
    return "login:" + login[:200]


def address_bucket(address: str) -> str:
    return "address:" + address


def _lock(conn: Connection, limits: list[Limit]) -> None:
    """Serialise reservations on the same buckets until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock per bucket, always taken in the same order.
    SQLite: the reservation's first INSERT takes the database's write lock for the transaction.
    """
    if conn.dialect.name == "postgresql":
        for limit in limits:
            conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(limit.bucket, 0))))


def _recent(limit: Limit, since: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (auth_failure.c.bucket == limit.bucket, auth_failure.c.at > since)


def _retry_after(conn: Connection, limit: Limit, window: timedelta) -> int:
    """Seconds until the bucket holds fewer than `most` attempts younger than the window.

    Counted from the time now, not the attempt's: a concurrent attempt may have stamped a later
    time and committed while this one waited for the lock, and the wait must stay within the window.
    """
    now = datetime.now(UTC)
    blocking = conn.execute(
        select(auth_failure.c.at)
        .where(*_recent(limit, now - window))
        .order_by(auth_failure.c.at.desc())
        .offset(max(limit.most - 1, 0))
        .limit(1)
    ).scalar_one_or_none()
    until = (blocking + window) if blocking is not None else now + window
    return max(1, math.ceil((until - now).total_seconds()))


def reserve(conn: Connection, limits: list[Limit], window: timedelta) -> list[int]:
    """Reserve one attempt in every bucket, or raise Throttled (the caller's transaction must
    then roll back, so no bucket keeps a reservation). Returns the reservations' ids."""
    now = datetime.now(UTC)
    ordered = sorted(limits, key=lambda limit: limit.bucket)
    _lock(conn, ordered)
    ids = []
    for limit in ordered:
        conn.execute(delete(auth_failure).where(
            auth_failure.c.bucket == limit.bucket, auth_failure.c.at <= now - window
        ))
        held = select(func.count()).where(*_recent(limit, now - window)).scalar_subquery()
        attempt = select(literal(limit.bucket), literal(now, UTCDateTime)).where(held < limit.most)
        reserved = conn.execute(
            insert(auth_failure).from_select(["bucket", "at"], attempt).returning(auth_failure.c.id)
        ).scalar_one_or_none()
        if reserved is None:
            raise Throttled(limit.bucket, _retry_after(conn, limit, window))
        ids.append(reserved)
    return ids


def check(conn: Connection, limits: list[Limit], window: timedelta) -> None:
    """Raise Throttled when any bucket is full, reserving nothing (for a password already known
    to be right: it guesses nothing, but is still refused during a lockout)."""
    now = datetime.now(UTC)
    for limit in limits:
        held = conn.execute(select(func.count()).where(*_recent(limit, now - window))).scalar_one()
        if held >= limit.most:
            raise Throttled(limit.bucket, _retry_after(conn, limit, window))


def release(conn: Connection, reservations: list[int]) -> None:
    """Give back the reservations of an attempt whose password was right."""
    conn.execute(delete(auth_failure).where(auth_failure.c.id.in_(reservations)))


def prune(conn: Connection, window: timedelta) -> None:
    """Forget attempts older than the window in every bucket (also those no one tries again)."""
    conn.execute(delete(auth_failure).where(auth_failure.c.at <= datetime.now(UTC) - window))
