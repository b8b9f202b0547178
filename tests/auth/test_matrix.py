"""Every /rest/ route x every kind of identity: the exact status and envelope (call-read.md,
Authentication and Errors), through the real API app on both stores."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text, update
from starlette.testclient import TestClient

from calldata.api.app import create_app
from calldata.api.auth_routes import COOKIE
from calldata.auth import keys, users
from calldata.auth.authenticate import BAD_KEY, BAD_SESSION, NOT_AUTHENTICATED, WRONG_LOGIN, throttled
from calldata.auth.permissions import BILLING_CALL_REPORTING as REPORTING
from calldata.auth.permissions import BILLING_CALL_SUMMARY as SUMMARY
from calldata.auth.permissions import SYSTEM_ADMIN as ADMIN
from calldata.auth.schema import auth_session
from calldata.cdr import Cdr
from calldata.config import Settings
from calldata.store.cdrs import insert_cdrs

from auth_helpers import PASSWORD
READ_ROUTES = ["/rest/call/read", "/rest/call/read/cdr"]
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

# (company, target, bill_to) of the stored rows; None: not attributed yet.
ROWS = [
    ("acme", "acme", ""),
    ("", "globex", ""),
    ("initech", "", "initech"),
    (None, None, None),
    ("", "", "acme"),
    ("globex", "acme", "globex"),
    ("", "", ""),
    ("initech", "globex", "initech"),
]

ALL = "all"
FORBIDDEN_MESSAGES = {
    "reporting_all": "permission: /rest/call/read needs System-Admin or Billing Call-Summary",
    "nothing": "permission: /rest/call/read needs System-Admin or Billing Call-Summary",
}
# login -> (grants, what /rest/call/read gives: ALL, a set of companies, or 403)
PROFILES: dict[str, tuple[dict[str, list[str]], Any]] = {
    "admin": ({ADMIN: ["yes"]}, ALL),
    "summary_all": ({SUMMARY: ["yes"]}, ALL),
    "summary_acme": ({SUMMARY: ["acme"]}, {"acme"}),
    "reporting_some": ({REPORTING: ["globex", "initech"]}, {"globex", "initech"}),
    "mixed": ({SUMMARY: ["initech"], REPORTING: ["acme"]}, {"acme", "initech"}),
    "reporting_all": ({REPORTING: ["yes"]}, 403),
    "nothing": ({}, 403),
}
DELIVERIES = ["inline", "session", "bearer", "body_key"]
Serve = Callable[[Settings], TestClient]


class World:
    """The app on a store holding ROWS and one user per profile, and ways to present each."""

    def __init__(self, engine: Engine, settings: Settings, serve: Serve) -> None:
        self.engine = engine
        self.settings = settings
        self.client = serve(settings)
        with engine.begin() as conn:
            ids = insert_cdrs(conn, [Cdr(start=T0 + timedelta(minutes=i), uniqueid=f"1.{i}")
                                     for i in range(len(ROWS))])
            for acctid, (company, target, bill_to) in zip(ids, ROWS, strict=True):
                if company is not None:
                    conn.execute(text("UPDATE cdr SET company = :c, target = :t, bill_to = :b WHERE acctid = :a"),
                                 {"c": company, "t": target, "b": bill_to, "a": acctid})
        self.truth = dict(zip(ids, ROWS, strict=True))
        self.user_ids = {}
        with engine.begin() as conn:
            for login, (grants, _) in PROFILES.items():
                self.user_ids[login] = users.add_user(
                    conn, login, PASSWORD, home="acme", profile=settings.password_hash_profile, actor="t")
                for permission, scopes in grants.items():
                    users.grant(conn, login, permission, [s for s in scopes if s != "yes"], actor="t")

    def key(self, login: str, **kwargs: Any) -> tuple[int, str]:
        with self.engine.begin() as conn:
            return keys.create(conn, self.user_ids[login], pepper=self.settings.token_pepper,
                               actor="t", **kwargs)

    def session(self, login: str) -> str:
        r = self.client.post("/rest/auth/", json={"auth": {"type": "auth", "username": login,
                                                           "password": PASSWORD}})
        assert r.status_code == 200
        return r.json()["user"]["session"]

    def present(self, login: str, delivery: str) -> tuple[dict, dict]:
        """(extra body members, headers) that identify `login` the given way."""
        if delivery == "inline":
            return {"auth": {"type": "auth", "username": login, "password": PASSWORD}}, {}
        if delivery == "session":
            return {}, {"cookie": f"{COOKIE}={self.session(login)}"}
        _, key = self.key(login)
        if delivery == "bearer":
            return {}, {"authorization": f"Bearer {key}"}
        return {"auth": {"type": "auth", "key": key}}, {}

    def expected_rows(self, access: Any) -> list[int]:
        if access == ALL:
            return list(self.truth)
        return [a for a, cols in self.truth.items() if cols[0] is not None and set(cols) & access]

    def post(self, path: str, body: dict, headers: dict) -> Any:
        return self.client.post(path, json={**body, "scope": {"maxRows": 100}}, headers=headers)


@pytest.fixture
def serve() -> Iterator[Serve]:
    """serve(settings) -> a client on a new app with those settings, lifespan running until teardown."""
    with ExitStack() as apps:
        yield lambda settings: apps.enter_context(TestClient(create_app(settings)))


@pytest.fixture
def world(engine: Engine, settings: Settings, serve: Serve) -> World:
    return World(engine, settings, serve)


def fail(message: str) -> dict:
    return {"result": "fail", "message": message}


@pytest.mark.parametrize("login", list(PROFILES))
def test_each_permission_by_each_delivery_on_each_route(world, login):
    """call/read as the contract says, /rest/auth/ with the perms, 404 for an unknown command."""
    grants, access = PROFILES[login]
    for delivery in DELIVERIES:
        for route in READ_ROUTES:
            body, headers = world.present(login, delivery)
            r = world.post(route, body, headers)
            where = f"{delivery} {route}: {r.text}"
            if access == 403:
                assert (r.status_code, r.json()) == (403, fail(r.json()["message"])), where
                assert r.json()["message"].startswith(FORBIDDEN_MESSAGES[login]), where
                continue
            assert r.status_code == 200 and r.json()["result"] == "success", where
            got = [row["acctid"] for row in r.json()["values"]]
            assert got == world.expected_rows(access), where
            assert r.json()["numRows"] == r.json()["numrows"] == len(got), where
        body, headers = world.present(login, delivery)
        r = world.client.post("/rest/auth/", json=body, headers=headers)
        assert r.status_code == 200, delivery
        user = r.json()["user"]
        assert (user["login"], user["id"]) == (login, world.user_ids[login])
        assert user["perms"] == {p: ",".join(sorted(s)) for p, s in grants.items()}
        assert (user["session"] is not None) == (delivery in ("inline", "session")), delivery
        body, headers = world.present(login, delivery)
        r = world.post("/rest/no/such/command", body, headers)
        assert (r.status_code, r.json()) == (404, fail("unknown command: POST /rest/no/such/command"))


def _none(world: World) -> tuple[dict, dict]:
    return {}, {}


def _wrong_password(world: World) -> tuple[dict, dict]:
    return {"auth": {"type": "auth", "username": "admin", "password": "not it"}}, {}


def _unknown_user(world: World) -> tuple[dict, dict]:
    return {"auth": {"type": "auth", "username": "mallory", "password": PASSWORD}}, {}


def _disabled_user(world: World) -> tuple[dict, dict]:
    with world.engine.begin() as conn:
        users.set_disabled(conn, "admin", True, actor="t")
    return {"auth": {"type": "auth", "username": "admin", "password": PASSWORD}}, {}


def _expired_session(world: World) -> tuple[dict, dict]:
    token = world.session("admin")
    old = datetime.now(UTC) - timedelta(seconds=world.settings.session_idle_seconds + 1)
    with world.engine.begin() as conn:
        conn.execute(update(auth_session).values(last_seen_at=old))
    return {}, {"cookie": f"{COOKIE}={token}"}


def _ended_session(world: World) -> tuple[dict, dict]:
    cookie = {"cookie": f"{COOKIE}={world.session('admin')}"}
    assert world.client.post("/rest/auth/logout", headers=cookie).status_code == 200
    return {}, cookie


def _made_up_session(world: World) -> tuple[dict, dict]:
    return {}, {"cookie": f"{COOKIE}=c2Vzc2lvbi10aGF0LW5ldmVyLXdhcw"}


def _revoked_key(world: World) -> tuple[dict, dict]:
    key_id, key = world.key("admin")
    with world.engine.begin() as conn:
        keys.revoke(conn, key_id, actor="t")
    return {}, {"authorization": f"Bearer {key}"}


def _revoked_key_in_body(world: World) -> tuple[dict, dict]:
    _, headers = _revoked_key(world)
    return {"auth": {"type": "auth", "key": headers["authorization"].removeprefix("Bearer ")}}, {}


def _expired_key(world: World) -> tuple[dict, dict]:
    _, key = world.key("admin", expires_at=datetime.now(UTC) - timedelta(minutes=1))
    return {}, {"authorization": f"Bearer {key}"}


def _disabled_owners_key(world: World) -> tuple[dict, dict]:
    _, key = world.key("admin")
    with world.engine.begin() as conn:
        users.set_disabled(conn, "admin", True, actor="t")
    return {}, {"authorization": f"Bearer {key}"}


def _made_up_key(world: World) -> tuple[dict, dict]:
    return {}, {"authorization": "Bearer cdk_0000000000000000000000000000000000000000000"}


# how a bad identity is presented -> (status, message) on every route but logout
BAD: dict[str, tuple[Callable[[World], tuple[dict, dict]], int, str]] = {
    "none": (_none, 401, NOT_AUTHENTICATED),
    "wrong password": (_wrong_password, 401, WRONG_LOGIN),
    "unknown user": (_unknown_user, 401, WRONG_LOGIN),
    "disabled user": (_disabled_user, 401, WRONG_LOGIN),
    "expired session": (_expired_session, 401, BAD_SESSION),
    "ended session": (_ended_session, 401, BAD_SESSION),
    "made-up session": (_made_up_session, 401, BAD_SESSION),
    "revoked key": (_revoked_key, 401, BAD_KEY),
    "revoked key in body": (_revoked_key_in_body, 401, BAD_KEY),
    "expired key": (_expired_key, 401, BAD_KEY),
    "disabled owner's key": (_disabled_owners_key, 401, BAD_KEY),
    "made-up key": (_made_up_key, 401, BAD_KEY),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_identity_gets_the_exact_failure_on_every_route(world, case):
    make, status, message = BAD[case]
    body, headers = make(world)
    for route in [*READ_ROUTES, "/rest/auth/", "/rest/no/such/command"]:
        r = world.post(route, body, headers)
        assert (r.status_code, r.json()) == (status, fail(message)), route
    r = world.client.post("/rest/auth/logout", json=body, headers=headers)
    expected = BAD_SESSION if "cookie" in headers else NOT_AUTHENTICATED
    assert (r.status_code, r.json()) == (401, fail(expected)), "/rest/auth/logout"


def test_logout_with_a_live_session_succeeds_for_everyone(world):
    for login in PROFILES:
        cookie = {"cookie": f"{COOKIE}={world.session(login)}"}
        r = world.client.post("/rest/auth/logout", headers=cookie)
        assert (r.status_code, r.json()) == (200, {"result": "success"})


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (b"{not json", {}, "body: not valid JSON"),
        (b'{"auth": "admin"}', {}, "auth: must be an object"),
        (b'{"auth": {"type": "auth", "username": "admin"}}', {}, "auth.password: missing"),
        (b"{}", {"authorization": "Basic YWRtaW46eA=="}, "Authorization: expected 'Bearer <API key>'"),
    ],
)
def test_malformed_credentials_are_400_naming_the_field(world, body, headers, message):
    for route in [*READ_ROUTES, "/rest/auth/"]:
        r = world.client.post(route, content=body, headers=headers)
        assert r.status_code == 400 and r.json()["result"] == "fail", route
        assert r.json()["message"].startswith(message), route


def test_wrong_inline_passwords_on_call_read_are_throttled_with_429(engine, settings, serve):
    world = World(engine, replace(settings, login_failures_per_login=3), serve)
    wrong = {"auth": {"type": "auth", "username": "summary_all", "password": "guess"}}
    right = {"auth": {"type": "auth", "username": "summary_all", "password": PASSWORD}}
    for _ in range(3):
        assert world.post("/rest/call/read", wrong, {}).status_code == 401
    for body in (wrong, right):
        r = world.post("/rest/call/read", body, {})
        assert (r.status_code, r.json()) == (429, fail(throttled(int(r.headers["retry-after"]))))
    # a key of the same user is not throttled: keys cannot be guessed
    _, key = world.key("summary_all")
    assert world.post("/rest/call/read", {}, {"authorization": f"Bearer {key}"}).status_code == 200


def test_two_server_processes_share_sessions_keys_and_throttling(engine, settings, serve):
    """Two apps on one store stand for two `calldata serve` processes behind a load balancer."""
    world = World(engine, replace(settings, login_failures_per_login=2), serve)
    other = serve(replace(settings, login_failures_per_login=2))
    cookie = {"cookie": f"{COOKIE}={world.session('admin')}"}
    assert other.post("/rest/call/read", json={}, headers=cookie).status_code == 200
    assert other.post("/rest/auth/logout", headers=cookie).status_code == 200
    assert world.post("/rest/call/read", {}, cookie).status_code == 401
    wrong = {"auth": {"type": "auth", "username": "admin", "password": "guess"}}
    assert world.post("/rest/call/read", wrong, {}).status_code == 401
    assert other.post("/rest/call/read", json=wrong).status_code == 401
    assert world.post("/rest/call/read", wrong, {}).status_code == 429
