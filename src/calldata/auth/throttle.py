"""Login throttling: failed attempts counted per login name and per client address, in the database.

Stored rather than kept in memory so that every server process counts the same attempts. The
check and the count are not one atomic step, so a burst of simultaneous attempts can overshoot
a limit by the number of concurrent requests; the next attempt is then refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select

from calldata.auth.schema import auth_failure


def login_bucket(login: str) -> str:
    return "login:" + login[:200]


def address_bucket(address: str) -> str:
    return "address:" + address


def failures(conn: Connection, bucket: str, window: timedelta) -> int:
    since = datetime.now(UTC) - window
    return conn.execute(
        select(func.count()).where(auth_failure.c.bucket == bucket, auth_failure.c.at > since)
    ).scalar_one()


def count_failure(conn: Connection, buckets: list[str], window: timedelta) -> None:
    """Count a failed attempt in each bucket, and forget failures older than the window."""
    now = datetime.now(UTC)
    conn.execute(delete(auth_failure).where(auth_failure.c.at <= now - window))
    conn.execute(insert(auth_failure), [{"bucket": b, "at": now} for b in buckets])


def clear(conn: Connection, bucket: str) -> None:
    conn.execute(delete(auth_failure).where(auth_failure.c.bucket == bucket))
