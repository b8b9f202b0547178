"""PostgreSQL connections dropped under a running `calldata serve`: no client sees an error.

A thread terminates the served process's backends (`pg_terminate_backend`, by application_name)
again and again while a client reads pages on every identity path: Bearer key, key in the body,
session cookie, username and password in the body, and logs in. Every answer must be a 200.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from api_helpers import cdr, store_rows
from calldata.auth import users
from servers import served

ON_POSTGRES = pytest.mark.parametrize(
    "store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
APP_NAME = "calldata_drops_test"
PASSWORD = "a long passphrase"
ROUNDS = 40


class Terminator(threading.Thread):
    """Ends every backend of the served process, every `pause` seconds, until stopped (only in
    this test's database: another test run on the machine has servers of the same name)."""

    def __init__(self, engine: Engine, pause: float) -> None:
        super().__init__(daemon=True)
        self.engine, self.pause = engine, pause
        self.stopped = threading.Event()
        self.ended = 0

    def run(self) -> None:
        with self.engine.connect() as conn:
            while not self.stopped.wait(self.pause):
                self.ended += len(conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE application_name = :n AND datname = current_database()"),
                    {"n": APP_NAME},
                ).all())
                conn.commit()


@pytest.fixture
def terminator(engine: Engine) -> Iterator[Terminator]:
    thread = Terminator(engine, pause=0.25)
    yield thread
    thread.stopped.set()
    if thread.is_alive():  # not started when the server did not start
        thread.join()


def post(client: httpx.Client, path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response | str:
    """The answer, or what went wrong on the way (a reset connection, a timeout)."""
    try:
        return client.post(path, json=body, headers=headers)
    except httpx.TransportError as exc:
        return f"{type(exc).__name__}: {exc}"


@ON_POSTGRES
def test_no_client_sees_the_servers_connections_dropping(
    store_url: str, engine: Engine, billing_key: str, terminator: Terminator
) -> None:
    ids = store_rows(engine, [cdr(i) for i in range(12)])
    with engine.begin() as conn:
        users.add_user(conn, "ann", PASSWORD, profile="CHEAPEST", actor="test")
        users.grant(conn, "ann", "Billing Call-Summary", [], actor="test")
    login = {"auth": {"type": "auth", "username": "ann", "password": PASSWORD}}
    paths = {
        "bearer key": ({"authorization": f"Bearer {billing_key}"}, {}),
        "key in body": ({}, {"auth": {"key": billing_key}}),
        "session cookie": ({}, {}),
        "password in body": ({}, login),
    }
    env = {"CALLDATA_PASSWORD_HASH_PROFILE": "CHEAPEST"}
    outcomes: Counter[str] = Counter()
    with served(f"{store_url}?application_name={APP_NAME}", env) as base, httpx.Client(base_url=base, timeout=60) as client:
        assert client.post("/rest/auth/", json=login).status_code == 200  # the session cookie
        terminator.start()
        rounds = 0
        # at least ROUNDS; on a fast machine more, until the drops reach their count below
        while rounds < ROUNDS or (terminator.ended < ROUNDS // 2 and rounds < 4 * ROUNDS):
            rounds += 1
            for path, (headers, auth) in paths.items():
                min_id = 0
                while min_id <= ids[-1]:  # a full pull in pages of 5: reads ahead are taken too
                    r = post(client, "/rest/call/read", {**auth, "scope": {"minID": min_id, "maxRows": 5}}, headers)
                    if isinstance(r, str) or r.status_code != 200:
                        outcomes[f"{path}: {r if isinstance(r, str) else r.text}"] += 1
                        break
                    values = r.json()["values"]
                    assert [v["acctid"] for v in values] == [i for i in ids if i >= min_id][:5]
                    min_id = values[-1]["acctid"] + 1 if values else ids[-1] + 1
                    outcomes["ok"] += 1
            r = post(client, "/rest/auth/", login, {})
            outcomes["ok" if not isinstance(r, str) and r.status_code == 200 else f"login: {r}"] += 1
    failures = [f"{n} x {what}" for what, n in outcomes.items() if what != "ok"]
    assert not failures, "\n".join(failures)
    assert terminator.ended >= ROUNDS // 2  # the drops really happened, many times (fewer on a loaded machine)
    assert outcomes["ok"] == rounds * (3 * len(paths) + 1)
