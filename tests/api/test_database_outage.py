"""While PostgreSQL takes no connections (a restart), every call is a 503 to send again; then 200.

`calldata serve` reaches PostgreSQL through a TCP relay the test cuts: every open connection is
broken and new ones are refused, as during a database restart, until the relay opens again.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, make_url

from api_helpers import cdr, store_rows
from calldata.auth import users
from servers import free_port, served

ON_POSTGRES = pytest.mark.parametrize(
    "store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
PASSWORD = "a long passphrase"


class Relay:
    """A loopback TCP port relayed to `upstream`; `cut()` breaks and refuses, `open()` relays again."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream, self.port = upstream, free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def open(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            ends = [*self._sockets, *([self._listener] if self._listener else [])]
            self._sockets.clear()
            self._listener = None
        for end in ends:
            try:
                end.shutdown(socket.SHUT_RDWR)  # also wakes the thread blocked in accept()
            except OSError:
                pass
            end.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
                server = socket.create_connection(self.upstream)
            except OSError:
                return
            with self._lock:
                self._sockets |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


@pytest.fixture
def relay(store_url: str) -> Iterator[Relay]:
    url = make_url(store_url)
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    relay.open()
    yield relay
    relay.cut()


@ON_POSTGRES
def test_calls_while_the_database_is_away_are_503s_to_retry(
    store_url: str, engine: Engine, billing_key: str, relay: Relay
) -> None:
    store_rows(engine, [cdr(i) for i in range(3)])
    with engine.begin() as conn:
        users.add_user(conn, "ann", PASSWORD, profile="CHEAPEST", actor="test")
        users.grant(conn, "ann", "Billing Call-Summary", [], actor="test")
    login = {"auth": {"type": "auth", "username": "ann", "password": PASSWORD}}
    calls = {
        "bearer key": ("/rest/call/read", {"authorization": f"Bearer {billing_key}"}, {}),
        "key in body": ("/rest/call/read", {}, {"auth": {"key": billing_key}}),
        "session cookie": ("/rest/call/read", {}, {}),
        "password in body": ("/rest/call/read", {}, login),
        "login": ("/rest/auth/", {}, login),
        "logout": ("/rest/auth/logout", {}, {}),
    }
    relayed = make_url(store_url).set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    env = {"CALLDATA_PASSWORD_HASH_PROFILE": "CHEAPEST"}
    with served(relayed, env) as base, httpx.Client(base_url=base) as client:
        assert client.post("/rest/auth/", json=login).status_code == 200  # the session cookie
        relay.cut()
        for name, (path, headers, body) in calls.items():
            r = client.post(path, headers=headers, json=body)
            assert r.status_code == 503, (name, r.text)
            assert r.headers["retry-after"] == "1", name
            assert r.json()["result"] == "fail" and r.json()["message"].startswith("database: "), name
        relay.open()
        for name, (path, headers, body) in calls.items():
            r = client.post(path, headers=headers, json=body)
            assert r.status_code == 200, (name, r.text)
