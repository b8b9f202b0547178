"""POST /rest/auth/ and /rest/auth/logout over HTTP: the user object, the Red60urne cookie, failures."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from calldata.api.auth_routes import COOKIE, install
from calldata.auth import keys
from calldata.auth.authenticate import BAD_SESSION, NOT_AUTHENTICATED, WRONG_LOGIN, throttled
from calldata.auth.permissions import BILLING_CALL_REPORTING as REPORTING
from calldata.auth.permissions import BILLING_CALL_SUMMARY as SUMMARY
from calldata.config import Settings

from auth_helpers import PASSWORD


def client_for(engine: Engine, settings: Settings, base_url: str = "http://testserver") -> TestClient:
    app = Starlette()
    install(app, settings, engine)
    return TestClient(app, base_url=base_url)


@pytest.fixture
def client(engine, settings) -> TestClient:
    return client_for(engine, settings)


def login_body(username: str, password: str) -> dict:
    return {"auth": {"type": "auth", "username": username, "password": password}}


def test_login_answers_the_user_and_sets_the_session_cookie(client, add_user):
    uid = add_user("ann", {SUMMARY: ["acme"], REPORTING: ["acme", "globex"]}, home="acme")
    r = client.post("/rest/auth/", json=login_body("ann", PASSWORD))
    assert r.status_code == 200
    user = r.json()["user"]
    assert r.json()["result"] == "success"
    assert user == {"id": uid, "login": "ann", "name": "Ann", "company": "acme", "home": "acme",
                    "session": user["session"], "perms": {SUMMARY: "acme", REPORTING: "acme,globex"}}
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={user['session']};")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


def test_the_cookie_is_secure_over_https_or_when_configured(engine, settings, add_user):
    add_user("ann")
    for client in (client_for(engine, settings, "https://testserver"),
                   client_for(engine, replace(settings, cookie_secure=True))):
        r = client.post("/rest/auth", json=login_body("ann", PASSWORD))
        assert r.status_code == 200 and "; Secure" in r.headers["set-cookie"]


def test_login_without_content_type_and_without_the_trailing_slash(client, add_user):
    add_user("ann")
    import json
    r = client.post("/rest/auth", content=json.dumps(login_body("ann", PASSWORD)).encode())
    assert r.status_code == 200 and r.json()["user"]["login"] == "ann"


def test_login_reuses_the_session_the_cookie_names(client, add_user):
    add_user("ann")
    first = client.post("/rest/auth/", json=login_body("ann", PASSWORD)).json()["user"]["session"]
    again = client.post("/rest/auth/", json=login_body("ann", PASSWORD),
                        headers={"cookie": f"{COOKIE}={first}"}).json()["user"]["session"]
    assert again == first


@pytest.mark.parametrize("who", [("ann", "wrong"), ("nobody", PASSWORD)])
def test_a_failed_login_is_401_with_one_message(client, add_user, who):
    add_user("ann")
    r = client.post("/rest/auth/", json=login_body(*who))
    assert (r.status_code, r.json()) == (401, {"result": "fail", "message": WRONG_LOGIN})
    assert "set-cookie" not in r.headers


def test_too_many_failures_answer_429(engine, settings, add_user):
    add_user("ann")
    client = client_for(engine, replace(settings, login_failures_per_login=2))
    for _ in range(2):
        assert client.post("/rest/auth/", json=login_body("ann", "wrong")).status_code == 401
    r = client.post("/rest/auth/", json=login_body("ann", PASSWORD))
    wait = int(r.headers["retry-after"])
    assert 0 < wait <= settings.login_failure_window_seconds
    assert (r.status_code, r.json()) == (429, {"result": "fail", "message": throttled(wait)})


def test_auth_with_a_key_or_cookie_says_who_that_is_without_a_new_session(client, add_user, engine, settings):
    uid = add_user("ann", {SUMMARY: ["yes"]})
    with engine.begin() as conn:
        _, key = keys.create(conn, uid, pepper=settings.token_pepper, actor="t")
    r = client.post("/rest/auth/", headers={"authorization": f"Bearer {key}"})
    assert r.status_code == 200 and r.json()["user"]["session"] is None
    assert r.json()["user"]["perms"] == {SUMMARY: "yes"} and "set-cookie" not in r.headers
    r = client.post("/rest/auth/", json={"auth": {"type": "auth", "key": key}})
    assert r.status_code == 200 and r.json()["user"]["login"] == "ann"
    r = client.post("/rest/auth/")
    assert (r.status_code, r.json()) == (401, {"result": "fail", "message": NOT_AUTHENTICATED})


def test_logout_ends_the_session_and_clears_the_cookie(client, add_user):
    add_user("ann")
    token = client.post("/rest/auth/", json=login_body("ann", PASSWORD)).json()["user"]["session"]
    cookie = {"cookie": f"{COOKIE}={token}"}
    assert client.post("/rest/auth/", headers=cookie).json()["user"]["session"] == token
    r = client.post("/rest/auth/logout", headers=cookie)
    assert (r.status_code, r.json()) == (200, {"result": "success"})
    assert r.headers["set-cookie"].startswith(f'{COOKIE}="";') and "Max-Age=0" in r.headers["set-cookie"]
    for path in ("/rest/auth/logout", "/rest/auth/"):
        r = client.post(path, headers=cookie)
        assert (r.status_code, r.json()) == (401, {"result": "fail", "message": BAD_SESSION})
    r = client.post("/rest/auth/logout")
    assert (r.status_code, r.json()) == (401, {"result": "fail", "message": NOT_AUTHENTICATED})


@pytest.mark.parametrize(("body", "message"), [(b"{nope", "body: not valid JSON"),
                                               (b"[1]", "body: must be a JSON object"),
                                               (b'{"auth": 5}', "auth: must be an object"),
                                               (b" " * (1 << 20) + b"{}", "body: larger than")])
def test_a_bad_body_is_a_400_naming_it(client, body, message):
    r = client.post("/rest/auth/", content=body)
    assert r.status_code == 400 and r.json()["result"] == "fail"
    assert r.json()["message"].startswith(message)
