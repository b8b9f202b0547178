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

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return runner.invoke(app, ["--database-url", store_url, *args], input=input, env={**ENV, **(env or {})})

    return invoke


DIRECTORY = "companies:\n  acme: {name: Acme}\n  globex: {name: Globex}\n"


@pytest.fixture
def directory(run, tmp_path) -> None:
    """The store has a directory naming the companies acme and globex."""
    path = tmp_path / "directory.yaml"
    path.write_text(DIRECTORY)
    assert run("directory", "load", str(path)).exit_code == 0


def one_line_error(result) -> str:
    """The single stderr line of a refused command (which must exit non-zero)."""
    assert result.exit_code != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_users_grants_and_keys_from_the_cli(run, authenticator, directory):
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


def test_company_grants_name_companies_of_the_directory(run, tmp_path):
    assert run("user", "add", "ann", "--password-stdin", input="s3cret pass\n").exit_code == 0
    refused = one_line_error(run("user", "grant", "ann", "Billing Call-Summary", "-c", "acme"))
    assert "company 'acme': no directory is loaded yet" in refused and "calldata directory load" in refused
    path = tmp_path / "directory.yaml"
    path.write_text(DIRECTORY)
    assert run("directory", "load", str(path)).exit_code == 0
    refused = one_line_error(run("user", "grant", "ann", "Billing Call-Summary", "-c", "acme", "-c", "acne"))
    assert refused == "error: company 'acne': not in the directory (see `calldata directory show`)"
    assert "Billing" not in run("user", "list").output  # nothing was granted, not even acme
    assert run("user", "grant", "ann", "Billing Call-Summary", "-c", "acme").exit_code == 0
    assert run("user", "grant", "ann", "System-Admin").exit_code == 0  # system-wide needs no company
    assert "Billing Call-Summary: acme" in run("user", "list").output


def test_logins_are_validated(run):
    for bad in ["", " ann", "ann smith", "-ann", "ann;ls", "ann\n", "é", "a" * 65]:
        refused = one_line_error(run("user", "add", "--password-stdin", "--", bad, input="pw\n"))
        assert refused.startswith(f"error: login {bad!r}: 1-64 letters, digits"), bad
    for good in ["ann", "billing-bot", "ann.smith@example.com", "a_1", "a" * 64]:
        assert run("user", "add", good, "--password-stdin", input="pw\n").exit_code == 0, good


def test_audit_limit_must_be_positive_and_counts_are_shown(run, authenticator):
    assert one_line_error(run("user", "audit", "--limit", "-1")) == "error: --limit: must be 1 or more, not -1"
    assert one_line_error(run("user", "audit", "--limit", "0")) == "error: --limit: must be 1 or more, not 0"
    for _ in range(3):
        with pytest.raises(AuthFailure):
            authenticator.login("nobody", "guess", "10.1.2.3")
    shown = run("user", "audit", "--limit", "1", env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    row = next(line for line in shown.stdout.splitlines() if "login_failed" in line)
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells[1:] == ["3", cells[2], "login_failed", "nobody", "", "10.1.2.3", "no such login"]
    assert cells[2] <= cells[0]  # the first and last time


def test_revoke_help_says_what_company_does(run):
    text = " ".join(run("user", "revoke", "--help").output.split())
    assert "Revoke the grant for this company only" in text and "Grant for this company" not in text
