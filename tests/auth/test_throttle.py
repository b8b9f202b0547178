"""Login throttling under real concurrency, against a real store (SQLite and PostgreSQL) and a
real `calldata serve`: no more password checks than the limit, whoever else logs in meanwhile."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from servers import served
from sqlalchemy import Engine, func, select

from calldata.auth import passwords, throttle
from calldata.auth.authenticate import Authenticator
from calldata.auth.schema import auth_failure
from calldata.config import Settings

from auth_helpers import PASSWORD, login_status

ATTEMPTS = 60


def test_concurrent_wrong_passwords_get_exactly_the_limit_checked(engine, settings, add_user, monkeypatch):
    add_user("ann")
    auth = Authenticator(engine, settings)
    checked = Counter()
    real = passwords.verify
    monkeypatch.setattr(passwords, "verify", lambda *a: checked.update(["argon2"]) or real(*a))
    start = threading.Barrier(ATTEMPTS)

    def attempt(n: int) -> int:
        start.wait()
        return login_status(auth, "ann", f"guess {n}", f"10.0.{n}.1")  # every one from its own address

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        statuses = Counter(pool.map(attempt, range(ATTEMPTS)))
    limit = settings.login_failures_per_login
    assert statuses == {401: limit, 429: ATTEMPTS - limit}
    assert checked["argon2"] == limit


def test_concurrent_wrong_passwords_over_http_get_exactly_the_limit_checked(store_url, add_user):
    add_user("ann")
    body = {"auth": {"type": "auth", "username": "ann", "password": "guess"}}
    with served(store_url, {"CALLDATA_PASSWORD_HASH_PROFILE": "CHEAPEST"}) as base:
        start = threading.Barrier(ATTEMPTS)

        def attempt(_: int) -> httpx.Response:
            start.wait()
            return httpx.post(f"{base}/rest/auth/", json=body, timeout=60)

        with ThreadPoolExecutor(ATTEMPTS) as pool:
            answers = list(pool.map(attempt, range(ATTEMPTS)))
        right = httpx.post(f"{base}/rest/auth/", timeout=60,
                           json={"auth": {"type": "auth", "username": "ann", "password": PASSWORD}})
    limit = Settings().login_failures_per_login
    assert Counter(r.status_code for r in answers) == {401: limit, 429: ATTEMPTS - limit}
    waits = [int(r.headers["retry-after"]) for r in answers if r.status_code == 429]
    assert all(0 < w <= Settings().login_failure_window_seconds for w in waits)
    # the real user, with the right password, is refused too while the lockout lasts
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 0


@pytest.mark.parametrize("cache_seconds", [0, 60], ids=["argon2-each-time", "password-cache"])
def test_an_attacker_alternating_with_the_real_user_never_passes_the_limit(
    engine: Engine, settings: Settings, add_user, cache_seconds: int
):
    add_user("ann")
    auth = Authenticator(engine, replace(settings, password_cache_seconds=cache_seconds))
    limit = settings.login_failures_per_login
    attacker, user = Counter(), Counter()
    for n in range(30):
        attacker[login_status(auth, "ann", f"guess {n}", "203.0.113.7")] += 1
        user[login_status(auth, "ann", PASSWORD, "192.0.2.10")] += 1
    assert attacker == {401: limit, 429: 30 - limit}  # was 30 checked: each success cleared the count
    # the user got in until the attacker had used the limit up, then waits like everyone else
    assert user == {200: limit - 1, 429: 30 - limit + 1}
    with engine.connect() as conn:
        held = conn.execute(select(func.count()).select_from(auth_failure)).scalar_one()
    assert held == 2 * limit  # the attacker's failures, in the login's bucket and the address's


def test_concurrent_right_passwords_neither_lock_out_nor_count(engine, settings, add_user):
    add_user("ann")
    auth = Authenticator(engine, replace(settings, login_failures_per_login=100))
    start = threading.Barrier(20)

    def attempt(_: int) -> int:
        start.wait()
        return login_status(auth, "ann", PASSWORD, "192.0.2.10")

    with ThreadPoolExecutor(20) as pool:
        assert set(pool.map(attempt, range(20))) == {200}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(auth_failure)).scalar_one() == 0


@pytest.mark.parametrize("store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_the_wait_stays_within_the_window_when_a_later_attempt_committed_first(engine: Engine):
    """An attempt stamps its time, then waits for the buckets' lock; meanwhile others fill the
    bucket with later stamps. Its Retry-After is counted from when it answers, so never past the window."""
    limit, window = throttle.Limit("login:raced", 3), timedelta(seconds=60)
    answer: list[int] = []

    def late_attempt() -> None:
        with engine.begin() as conn:
            try:
                throttle.reserve(conn, [limit], window)
            except throttle.Throttled as exc:
                answer.append(exc.retry_after)

    with engine.begin() as holder:
        holder.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(limit.bucket, 0))))
        waiting = threading.Thread(target=late_attempt)
        waiting.start()
        time.sleep(0.5)  # the attempt has stamped its time and waits for the lock
        for _ in range(limit.most):
            holder.execute(auth_failure.insert().values(bucket=limit.bucket, at=datetime.now(UTC)))
    waiting.join(10)
    assert answer and 0 < answer[0] <= window.total_seconds()
