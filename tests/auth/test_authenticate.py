"""Credentials against a real store (SQLite and PostgreSQL): passwords, sessions, keys, throttling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import argon2
import pytest
from sqlalchemy import Engine, func, select, update

from calldata.auth import audit, keys, users
from calldata.auth.authenticate import (
    BAD_KEY,
    BAD_SESSION,
    WRONG_LOGIN,
    AuthFailure,
    Authenticator,
    Credentials,
    credentials,
    throttled,
)
from calldata.auth.permissions import BILLING_CALL_SUMMARY as SUMMARY
from calldata.auth.schema import auth_audit, auth_key, auth_session, auth_user
from calldata.config import Settings
from auth_helpers import PASSWORD


def failure(fn, *args, **kwargs) -> AuthFailure:
    with pytest.raises(AuthFailure) as info:
        fn(*args, **kwargs)
    return info.value


def events(engine: Engine, login: str) -> list[str]:
    with engine.connect() as conn:
        return [e["event"] for e in reversed(audit.listing(conn, login))]


def test_login_starts_a_session_that_identifies_the_user(authenticator, add_user, engine):
    add_user("ann", {SUMMARY: ["acme", "globex"]}, home="acme")
    who = authenticator.login("ann", PASSWORD, "10.0.0.1")
    assert (who.login, who.home, who.via) == ("ann", "acme", "session")
    assert who.perms() == {SUMMARY: "acme,globex"}
    again = authenticator.identify(Credentials(session=who.session))
    assert (again.user_id, again.via, again.session) == (who.user_id, "session", who.session)
    with engine.connect() as conn:  # only a hash of the token is stored
        stored = conn.execute(select(auth_session.c.token_hash)).scalars().all()
    assert len(stored) == 1 and who.session not in stored[0]
    assert events(engine, "ann")[-1] == audit.LOGIN


def test_login_reuses_the_named_session_only_when_it_is_the_same_users(authenticator, add_user):
    add_user("ann")
    add_user("bob")
    first = authenticator.login("ann", PASSWORD, reuse=None)
    assert authenticator.login("ann", PASSWORD, reuse=first.session).session == first.session
    assert authenticator.login("bob", PASSWORD, reuse=first.session).session != first.session
    assert authenticator.login("ann", PASSWORD, reuse="made-up").session not in ("made-up", first.session)


@pytest.mark.parametrize("case", ["wrong password", "no such login", "disabled"])
def test_failed_logins_all_look_the_same(authenticator, add_user, engine, case):
    add_user("ann")
    login, password = {"wrong password": ("ann", "guess"), "no such login": ("nobody", PASSWORD),
                       "disabled": ("ann", PASSWORD)}[case]
    if case == "disabled":
        with engine.begin() as conn:
            users.set_disabled(conn, "ann", True, actor="test")
    got = failure(authenticator.login, login, password, "10.0.0.1")
    assert (got.status, got.message) == (401, WRONG_LOGIN)
    with engine.connect() as conn:  # the audit log knows why; the client does not
        last = audit.listing(conn, login, 1)[0]
    assert (last["event"], last["detail"], last["address"]) == (audit.LOGIN_FAILED, case, "10.0.0.1")


def test_an_unknown_login_costs_an_argon2_verification_too(authenticator, add_user, monkeypatch):
    add_user("ann")
    calls = []
    real = argon2.PasswordHasher.verify
    monkeypatch.setattr(argon2.PasswordHasher, "verify",
                        lambda self, h, p: calls.append(h) or real(self, h, p))
    failure(authenticator.login, "nobody", "x")
    failure(authenticator.login, "ann", "x")
    assert len(calls) == 2 and all(h.startswith("$argon2id$") for h in calls)


def test_failed_logins_are_throttled_per_login(engine, settings, add_user):
    add_user("ann")
    auth = Authenticator(engine, Settings(**{**_fields(settings), "login_failures_per_login": 3}))
    for n in range(3):
        assert failure(auth.login, "ann", "guess", f"10.0.0.{n}").status == 401
    # now even the right password is refused, from any address, and the attempt is audited
    got = failure(auth.login, "ann", PASSWORD, "10.9.9.9")
    assert (got.status, got.message) == (429, throttled(got.retry_after))
    assert got.retry_after is not None and 0 < got.retry_after <= settings.login_failure_window_seconds
    assert events(engine, "ann")[-1] == audit.LOGIN_THROTTLED
    # another login is not affected
    add_user("bob")
    assert auth.login("bob", PASSWORD, "10.0.0.1").login == "bob"


def test_failed_logins_are_throttled_per_address(engine, settings, add_user):
    add_user("ann")
    auth = Authenticator(engine, Settings(**{**_fields(settings), "login_failures_per_address": 4}))
    for n in range(4):
        failure(auth.login, f"guess{n}", "guess", "10.6.6.6")
    assert failure(auth.login, "ann", PASSWORD, "10.6.6.6").status == 429
    assert auth.login("ann", PASSWORD, "10.0.0.1").login == "ann"


def test_a_success_neither_counts_nor_clears_failures_and_old_failures_expire(engine, settings, add_user):
    add_user("ann")
    auth = Authenticator(engine, Settings(**{**_fields(settings), "login_failures_per_login": 2,
                                              "login_failure_window_seconds": 1}))
    failure(auth.login, "ann", "guess")
    for _ in range(3):  # successes give their own reservation back: they are not failures
        assert auth.login("ann", PASSWORD).login == "ann"
    failure(auth.login, "ann", "guess")  # the first failure still counts: this one fills the bucket
    assert failure(auth.login, "ann", PASSWORD).status == 429
    assert failure(auth.login, "ann", PASSWORD).status == 429  # the right password resets nothing
    from calldata.auth.schema import auth_failure
    with engine.begin() as conn:  # age the failures past the window
        conn.execute(update(auth_failure).values(at=datetime.now(UTC) - timedelta(seconds=5)))
    assert auth.login("ann", PASSWORD).login == "ann"


def test_sessions_expire_after_the_idle_time(authenticator, add_user, engine, settings):
    add_user("ann")
    token = authenticator.login("ann", PASSWORD).session
    idle = timedelta(seconds=settings.session_idle_seconds)
    with engine.begin() as conn:
        conn.execute(update(auth_session).values(last_seen_at=datetime.now(UTC) - idle + timedelta(seconds=30)))
    assert authenticator.identify(Credentials(session=token)).login == "ann"  # used: touched
    with engine.begin() as conn:
        conn.execute(update(auth_session).values(last_seen_at=datetime.now(UTC) - idle - timedelta(seconds=1)))
    got = failure(authenticator.identify, Credentials(session=token))
    assert (got.status, got.message) == (401, BAD_SESSION)


def test_using_a_session_pushes_its_expiry_back(authenticator, add_user, engine):
    add_user("ann")
    token = authenticator.login("ann", PASSWORD).session
    old = datetime.now(UTC) - timedelta(seconds=600)
    with engine.begin() as conn:
        conn.execute(update(auth_session).values(last_seen_at=old))
    authenticator.identify(Credentials(session=token))
    with engine.connect() as conn:
        assert conn.execute(select(auth_session.c.last_seen_at)).scalar_one() > old + timedelta(seconds=590)


def test_logout_ends_the_session(authenticator, add_user, engine):
    add_user("ann")
    token = authenticator.login("ann", PASSWORD).session
    assert authenticator.logout(token) is True
    assert authenticator.logout(token) is False
    assert failure(authenticator.identify, Credentials(session=token)).status == 401
    assert events(engine, "ann")[-1] == audit.LOGOUT


def test_password_change_and_disabling_end_sessions(authenticator, add_user, engine, settings):
    add_user("ann")
    add_user("bob")
    ann = authenticator.login("ann", PASSWORD).session
    bob = authenticator.login("bob", PASSWORD).session
    with engine.begin() as conn:
        users.set_password(conn, "ann", "new password", profile=settings.password_hash_profile, actor="t")
        users.set_disabled(conn, "bob", True, actor="t")
    for token in (ann, bob):
        assert failure(authenticator.identify, Credentials(session=token)).status == 401
    assert authenticator.login("ann", "new password").login == "ann"
    assert failure(authenticator.login, "ann", PASSWORD).status == 401


def _key(engine, settings, user_id, **kwargs) -> tuple[int, str]:
    with engine.begin() as conn:
        return keys.create(conn, user_id, pepper=settings.token_pepper, actor="test", **kwargs)


def test_a_key_acts_as_its_owner_and_is_stored_only_as_a_hash(authenticator, add_user, engine, settings):
    uid = add_user("ann", {SUMMARY: ["yes"]})
    key_id, key = _key(engine, settings, uid, name="billing")
    who = authenticator.identify(Credentials(key=key), "10.0.0.7")
    assert (who.login, who.via, who.key_id, who.perms()) == ("ann", "key", key_id, {SUMMARY: "yes"})
    with engine.connect() as conn:
        row = conn.execute(select(auth_key)).one()
        text_of_db = repr([tuple(r) for r in conn.execute(select(auth_key))]) + repr(
            [tuple(r) for r in conn.execute(select(auth_audit))])
    assert key not in text_of_db and key[len(row.prefix):] not in text_of_db
    assert row.last_used_at is not None and events(engine, "ann")[-1] == audit.KEY_USED
    # use is recorded once a minute, not on every call
    authenticator.identify(Credentials(key=key))
    assert events(engine, "ann").count(audit.KEY_USED) == 1


def test_a_key_stops_working_when_revoked_expired_or_its_owner_disabled(authenticator, add_user, engine, settings):
    uid = add_user("ann", {SUMMARY: ["yes"]})
    revoked_id, revoked = _key(engine, settings, uid)
    _, expired = _key(engine, settings, uid, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    _, live = _key(engine, settings, uid, expires_at=datetime.now(UTC) + timedelta(days=1))
    with engine.begin() as conn:
        keys.revoke(conn, revoked_id, actor="test")
    for key in (revoked, expired, live[:-1] + ("A" if live[-1] != "A" else "B"), "cdk_", ""):
        got = failure(authenticator.identify, Credentials(key=key))
        assert (got.status, got.message) == (401, BAD_KEY)
    assert authenticator.identify(Credentials(key=live)).login == "ann"
    with engine.begin() as conn:
        users.set_disabled(conn, "ann", True, actor="test")
    assert failure(authenticator.identify, Credentials(key=live)).status == 401


def test_a_different_pepper_does_not_accept_the_key(engine, settings, add_user):
    uid = add_user("ann")
    _, key = _key(engine, settings, uid)
    other = Authenticator(engine, Settings(**{**_fields(settings), "token_pepper": "another"}))
    assert failure(other.identify, Credentials(key=key)).status == 401


def test_a_login_rehashes_a_password_made_with_other_parameters(engine, settings, add_user):
    add_user("ann")
    strong = Authenticator(engine, Settings(**{**_fields(settings), "password_hash_profile": "RFC_9106_LOW_MEMORY"}))
    strong.login("ann", PASSWORD)
    with engine.connect() as conn:
        stored = conn.execute(select(auth_user.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert strong.login("ann", PASSWORD).login == "ann"


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ("x", "auth: must be an object"),
        ({"type": "basic", "username": "a", "password": "b"}, "auth.type"),
        ({"username": "a"}, "auth.password: missing"),
        ({"password": "a"}, "auth.username: missing"),
        ({"username": 1, "password": "b"}, "auth.username: must be a string"),
        ({"key": ["k"]}, "auth.key: must be a string"),
        ({"key": "k", "username": "a", "password": "b"}, "either key"),
    ],
)
def test_malformed_inline_auth_is_a_bad_request_naming_the_field(auth, message):
    got = failure(credentials, auth, None, None)
    assert got.status == 400 and message in got.message


def test_credentials_prefer_the_body_then_the_bearer_key_then_the_cookie():
    body = {"type": "auth", "username": "a", "password": "b"}
    assert credentials(body, "Bearer k", "s") == Credentials(username="a", password="b")
    assert credentials(None, "Bearer k", "s") == Credentials(key="k")
    assert credentials(None, None, "s") == Credentials(session="s")
    assert credentials(None, None, None) == Credentials()
    assert failure(credentials, None, "Basic abc", None).status == 400


def test_nothing_secret_reaches_the_audit_log_or_the_logs(authenticator, add_user, engine, settings, caplog):
    caplog.set_level("DEBUG")
    uid = add_user("ann")
    _, key = _key(engine, settings, uid)
    authenticator.login("ann", PASSWORD)
    failure(authenticator.login, "ann", "wrong-secret-guess")
    authenticator.identify(Credentials(key=key))
    with engine.connect() as conn:
        dump = repr([tuple(r) for r in conn.execute(select(auth_audit))])
        count = conn.execute(select(func.count()).select_from(auth_audit)).scalar_one()
    assert count >= 4
    for secret in (PASSWORD, "wrong-secret-guess", key):
        assert secret not in dump and secret not in caplog.text
    assert PASSWORD not in repr(Credentials(username="ann", password=PASSWORD))
    assert settings.token_pepper == "" or settings.token_pepper not in repr(settings)


def _fields(settings: Settings) -> dict:
    return {f: getattr(settings, f) for f in settings.__dataclass_fields__}
