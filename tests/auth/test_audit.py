"""The audit log stays bounded: repeated events are counted into one row, old rows are pruned."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import Engine, func, insert, select, text

from calldata.auth import audit
from calldata.auth.authenticate import Authenticator
from calldata.auth.schema import auth_audit, auth_failure
from calldata.store.engine import alembic_config

from auth_helpers import PASSWORD, login_status

ATTEMPTS = 2000


def rows(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(auth_audit).order_by(auth_audit.c.id))]


def test_thousands_of_throttled_attempts_leave_a_bounded_number_of_rows(engine, settings, add_user):
    add_user("ann")
    auth = Authenticator(engine, settings)
    before = len(rows(engine))
    # one address cycling through login names, another hammering one login
    statuses = [login_status(auth, f"user{n}", "guess", "198.51.100.1") for n in range(ATTEMPTS // 2)]
    statuses += [login_status(auth, "ann", "guess", "198.51.100.2") for _ in range(ATTEMPTS // 2)]
    assert statuses.count(429) == ATTEMPTS - settings.login_failures_per_address - settings.login_failures_per_login
    logged = rows(engine)[before:]
    failed = [r for r in logged if r["event"] == audit.LOGIN_FAILED]
    throttled = [r for r in logged if r["event"] == audit.LOGIN_THROTTLED]
    # the failures the limits let through (one row per login and address), and two counted rows
    assert len(failed) == settings.login_failures_per_address + 1
    assert [(r["login"], r["address"], r["detail"]) for r in throttled] == [
        ("", "198.51.100.1", "address limit"), ("ann", "198.51.100.2", "login limit")]
    assert sum(r["count"] for r in throttled) == statuses.count(429)
    assert all(r["last_at"] >= r["at"] for r in throttled)


def test_inline_logins_are_counted_not_written_each_time(engine, settings, add_user):
    add_user("ann")
    auth = Authenticator(engine, settings)
    for _ in range(50):
        assert login_status(auth, "ann", PASSWORD, "192.0.2.10") == 200
    logins = [r for r in rows(engine) if r["event"] == audit.LOGIN]
    assert [(r["login"], r["detail"], r["count"]) for r in logins] == [("ann", "inline", 50)]


def test_a_repeated_event_starts_a_new_row_after_an_hour(engine):
    with engine.begin() as conn:
        audit.record(conn, audit.LOGIN_FAILED, "ann", address="10.0.0.1", detail="wrong password")
        conn.execute(auth_audit.update().values(at=datetime.now(UTC) - audit.AGGREGATE))
        audit.record(conn, audit.LOGIN_FAILED, "ann", address="10.0.0.1", detail="wrong password")
        audit.record(conn, audit.LOGIN_FAILED, "ann", address="10.0.0.1", detail="wrong password")
        audit.record(conn, audit.USER_ADDED, "bob", actor="cli")
        audit.record(conn, audit.USER_ADDED, "bob", actor="cli")  # changes are never merged
    assert [(r["event"], r["count"]) for r in rows(engine)] == [
        (audit.LOGIN_FAILED, 1), (audit.LOGIN_FAILED, 2), (audit.USER_ADDED, 1), (audit.USER_ADDED, 1)]


def test_old_rows_are_pruned_by_the_retention_setting(engine, settings, add_user):
    add_user("ann")
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    with engine.begin() as conn:
        conn.execute(insert(auth_audit), [
            {"at": old, "last_at": old, "event": audit.LOGIN_FAILED, "login": "gone"},
            {"at": old, "last_at": recent, "event": audit.LOGIN_FAILED, "login": "kept"},
        ])
        conn.execute(insert(auth_failure), [{"bucket": "login:gone", "at": now - timedelta(hours=1)}])
    kept = Authenticator(engine, replace(settings, audit_retention_days=0))
    kept.login("ann", PASSWORD)
    assert {"gone", "kept"} <= {r["login"] for r in rows(engine)}  # 0: nothing is pruned
    Authenticator(engine, replace(settings, audit_retention_days=30)).login("ann", PASSWORD)
    logins = [r["login"] for r in rows(engine)]
    assert "gone" not in logins and "kept" in logins and "ann" in logins
    with engine.connect() as conn:  # attempts older than the throttling window went too
        assert conn.execute(select(func.count()).select_from(auth_failure)).scalar_one() == 0


def test_the_migration_keeps_existing_entries_as_single_events(engine):
    config = alembic_config(engine)
    command.downgrade(config, "0006_auth_throttle-1")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO auth_audit (at, event, login) VALUES (:at, 'login_failed', 'ann')"),
                     {"at": datetime(2026, 1, 2, 3, 4, 5)})
    command.upgrade(config, "head")
    [row] = rows(engine)
    assert (row["login"], row["count"], row["at"], row["last_at"]) == (
        "ann", 1, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
