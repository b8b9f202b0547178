"""`calldata user` and `calldata key`, in process and as real subprocesses against `calldata serve`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from servers import served
from typer.testing import CliRunner

from calldata.auth.authenticate import AuthFailure, Credentials
from calldata.cli import app

ENV = {"CALLDATA_PASSWORD_HASH_PROFILE": "CHEAPEST"}


@pytest.fixture
def run(store_url: str):
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, ["--database-url", store_url, *args], input=input, env=ENV)

    return invoke


def test_users_grants_and_keys_from_the_cli(run, authenticator):
    assert run("user", "add", "ann", "--name", "Ann", "--home", "acme", "--password-stdin",
               input="s3cret pass\n").exit_code == 0
    assert run("user", "add", "ann", "--password-stdin", input="x\n").exit_code == 1
    bad = run("user", "grant", "ann", "Billing Everything")
    assert bad.exit_code == 1 and "unknown permission 'Billing Everything'" in bad.output
    assert run("user", "grant", "ann", "Billing Call-Summary", "-c", "acme", "-c", "globex").exit_code == 0
    assert run("user", "revoke", "ann", "Billing Call-Summary", "-c", "globex").exit_code == 0
    listing = run("user", "list")
    assert "ann" in listing.output and "Billing Call-Summary: acme" in listing.output
    assert "globex" not in listing.output
    who = authenticator.login("ann", "s3cret pass", start_session=False)
    assert who.perms() == {"Billing Call-Summary": "acme"} and who.home == "acme"

    created = run("key", "create", "ann", "--name", "billing", "--expires-in-days", "30")
    assert created.exit_code == 0
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("cdk_") and len(key) > 40
    assert authenticator.identify(Credentials(key=key)).login == "ann"
    keys_listed = run("key", "list")
    assert key[:12] in keys_listed.output and key not in keys_listed.output
    assert run("key", "revoke", "1").exit_code == 0
    assert run("key", "revoke", "1").exit_code == 1
    with pytest.raises(AuthFailure):
        authenticator.identify(Credentials(key=key))

    assert run("user", "passwd", "ann", "--password-stdin", input="new pass\n").exit_code == 0
    assert authenticator.login("ann", "new pass", start_session=False).login == "ann"
    assert run("user", "disable", "ann").exit_code == 0
    with pytest.raises(AuthFailure):
        authenticator.login("ann", "new pass")
    assert run("user", "disable", "ann", "--enable").exit_code == 0
    audit = run("user", "audit", "--login", "ann", "--limit", "100")
    for event in ("user_added", "granted", "revoked", "key_created", "key_revoked", "password_changed",
                  "user_disabled", "user_enabled", "login"):
        assert event in audit.output
    assert "s3cret" not in audit.output and key not in audit.output


def test_the_password_prompt_asks_twice_and_hides_nothing_in_argv(run, authenticator):
    result = run("user", "add", "bob", input="pw one\npw one\n")
    assert result.exit_code == 0 and "pw one" not in result.output
    assert authenticator.login("bob", "pw one", start_session=False).login == "bob"
    mismatch = run("user", "add", "carl", input="a\nb\na\na\n")
    assert mismatch.exit_code == 0 and "do not match" in mismatch.output.lower()


def _cli(store_url: str, *args: str, input: str | None = None) -> str:
    done = CliRunner().invoke(app, ["--database-url", store_url, *args], input=input, env=ENV)
    assert done.exit_code == 0, done.output
    return done.stdout


@pytest.fixture
def server(store_url: str) -> Iterator[str]:
    with served(store_url, ENV) as base:
        yield base


@pytest.mark.slow
def test_a_billing_system_uses_what_the_cli_made_over_tcp(store_url: str, server: str):
    _cli(store_url, "user", "add", "bot", "--password-stdin", input="bot password\n")
    _cli(store_url, "user", "grant", "bot", "Billing Call-Summary")
    key = _cli(store_url, "key", "create", "bot").strip().splitlines()[-1]
    with httpx.Client(base_url=server) as client:
        r = client.post("/rest/call/read", content=b'{"scope": {"maxRows": 5}}',
                        headers={"authorization": f"Bearer {key}", "content-type": ""})
        assert (r.status_code, r.json()["result"]) == (200, "success")
        r = client.post("/rest/call/read", json={"auth": {"type": "auth", "username": "bot",
                                                          "password": "bot password"}})
        assert r.status_code == 200
        login = client.post("/rest/auth/", json={"auth": {"type": "auth", "username": "bot",
                                                          "password": "bot password"}})
        assert login.status_code == 200 and client.cookies.get("Red60urne") == login.json()["user"]["session"]
        assert client.post("/rest/call/read", content=b"{}").status_code == 200  # by the cookie
        assert client.post("/rest/auth/logout").json() == {"result": "success"}
        assert client.post("/rest/call/read", content=b"{}").status_code == 401
    _cli(store_url, "key", "revoke", "1")
    r = httpx.post(f"{server}/rest/call/read", headers={"authorization": f"Bearer {key}"})
    assert r.status_code == 401
