"""Slow, surplus and failed connections against a real `calldata serve`, over raw sockets."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from api_helpers import issue_key
from calldata.store.engine import sync_engine
from servers import served

SAFETY = 30  # seconds a socket waits before the test gives up: never reached when the server is right
REQUEST = b"POST /rest/call/read HTTP/1.1\r\nHost: calldata\r\n"


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The port of a server that gives headers and bodies one second each."""
    url = f"sqlite:///{tmp_path_factory.mktemp('impatient') / 'calldata.sqlite3'}"
    env = {"CALLDATA_HEADER_TIMEOUT_SECONDS": "1", "CALLDATA_BODY_TIMEOUT_SECONDS": "1"}
    with served(url, env) as base:
        yield int(base.rsplit(":", 1)[1])


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=SAFETY)


def response(sock: socket.socket) -> tuple[int, dict[str, str], dict[str, str]]:
    """Status, headers and JSON body of the next response on the connection."""
    raw = b""
    while b"\r\n\r\n" not in raw:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection without an answer (got {raw!r})"
        raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode().split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    while len(body) < int(headers["content-length"]):
        body += sock.recv(65536)
    return int(status_line.split()[1]), headers, json.loads(body)


def closed(sock: socket.socket) -> bool:
    """The server has closed the connection (having sent nothing more)."""
    return sock.recv(65536) == b""


def test_half_the_headers_then_silence_is_a_408_and_the_connection_ends(impatient: int) -> None:
    with connect(impatient) as sock:
        sock.sendall(REQUEST)  # no blank line: the headers never end
        status, headers, body = response(sock)
        assert closed(sock)
    assert status == 408 and headers["connection"] == "close"
    assert body["result"] == "fail" and "headers" in body["message"]


def test_a_stalled_body_is_a_408_naming_the_body_and_the_connection_ends(impatient: int) -> None:
    with connect(impatient) as sock:
        sock.sendall(REQUEST + b"Content-Length: 100\r\n\r\n" + b'{"scope": ')
        status, headers, body = response(sock)
        assert closed(sock)
    assert status == 408 and headers["connection"] == "close"
    assert body["result"] == "fail" and body["message"].startswith("body:")


def test_a_connection_that_never_asks_is_closed_without_an_answer(impatient: int) -> None:
    with connect(impatient) as sock:
        assert closed(sock)


def test_a_prompt_client_is_served_and_kept_alive(impatient: int) -> None:
    with connect(impatient) as sock:
        for _ in range(2):
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: calldata\r\n\r\n")
            status, headers, _body = response(sock)
            assert status == 200 and "connection" not in headers


def test_connections_past_the_bound_are_answered_503_and_closed(tmp_path: Path) -> None:
    env = {"CALLDATA_MAX_CONNECTIONS": "2"}
    with served(f"sqlite:///{tmp_path / 'calldata.sqlite3'}", env) as base:
        port = int(base.rsplit(":", 1)[1])
        with connect(port), connect(port), connect(port) as third:
            third.sendall(b"GET /health HTTP/1.1\r\nHost: calldata\r\n\r\n")
            status, headers, body = response(third)
            assert closed(third)
    assert status == 503 and headers["connection"] == "close"
    assert body["result"] == "fail" and "connections" in body["message"]


def test_a_500_says_connection_close_before_the_server_drops_the_connection(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'calldata.sqlite3'}"
    with served(url) as base:
        engine = sync_engine(url)
        key = issue_key(engine)
        with engine.begin() as conn:  # a broken store: the page query fails
            conn.execute(text("ALTER TABLE cdr RENAME TO cdr_gone"))
        engine.dispose()
        with connect(int(base.rsplit(":", 1)[1])) as sock:
            sock.sendall(REQUEST + f"Authorization: Bearer {key}\r\nContent-Length: 2\r\n\r\n{{}}".encode())
            status, headers, body = response(sock)
            assert closed(sock)
    assert status == 500 and headers["connection"] == "close"
    assert body == {"result": "fail", "message": body["message"]} and "internal error" in body["message"]
