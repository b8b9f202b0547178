"""Inline credentials on every call pay argon2 once per interval, never at the cost of correctness."""

from __future__ import annotations

import time
from dataclasses import replace

import argon2
import pytest

from auth_helpers import PASSWORD
from calldata.auth import users
from calldata.auth.authenticate import AuthFailure, Authenticator, Credentials
from calldata.auth.recent import RecentPasswords


@pytest.fixture
def verifications(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = argon2.PasswordHasher.verify
    monkeypatch.setattr(argon2.PasswordHasher, "verify", lambda self, h, p: calls.append(h) or real(self, h, p))
    return calls


def inline(auth: Authenticator, password: str = PASSWORD):
    return auth.identify(Credentials(username="ann", password=password))


def test_a_repeated_right_password_skips_argon2_and_a_wrong_one_never_does(authenticator, add_user, verifications):
    add_user("ann")
    for _ in range(5):
        assert inline(authenticator).login == "ann"
    assert len(verifications) == 1
    for _ in range(3):
        with pytest.raises(AuthFailure):
            inline(authenticator, "wrong")
    assert len(verifications) == 4


def test_a_changed_password_or_a_disabled_user_is_noticed_at_once(authenticator, add_user, engine, settings):
    add_user("ann")
    inline(authenticator)
    with engine.begin() as conn:
        users.set_password(conn, "ann", "new one", profile=settings.password_hash_profile, actor="t")
    with pytest.raises(AuthFailure):
        inline(authenticator)
    assert inline(authenticator, "new one").login == "ann"
    with engine.begin() as conn:
        users.set_disabled(conn, "ann", True, actor="t")
    with pytest.raises(AuthFailure):
        inline(authenticator, "new one")


def test_zero_seconds_turns_it_off(engine, settings, add_user, verifications):
    add_user("ann")
    auth = Authenticator(engine, replace(settings, password_cache_seconds=0))
    inline(auth)
    inline(auth)
    assert len(verifications) == 2


def test_entries_expire_and_the_oldest_are_dropped():
    recent = RecentPasswords(seconds=0.05, size=2)
    recent.remember("$h1", "a")
    assert recent.verified("$h1", "a") and not recent.verified("$h1", "b") and not recent.verified("$h2", "a")
    time.sleep(0.06)
    assert not recent.verified("$h1", "a")
    recent = RecentPasswords(seconds=60, size=2)
    for stored in ("$1", "$2", "$3"):
        recent.remember(stored, "pw")
    assert [recent.verified(s, "pw") for s in ("$1", "$2", "$3")] == [False, True, True]
