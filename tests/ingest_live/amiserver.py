"""A TCP server that speaks the Asterisk Manager protocol, for the AMI source's tests.

It sends the banner, answers Login (checking the secret) and Ping, and pushes queued `Cdr`
event blocks to the logged-in session. Like Asterisk it keeps no backlog for a session that
is gone, except what the test explicitly queues. Tests can drop the connection between events
or in the middle of one, or make the server go silent (stop answering) to exercise keep-alive.
"""

from __future__ import annotations

import queue
import socket
import socketserver
import threading
from pathlib import Path

BANNER = b"Asterisk Call Manager/9.0.0\r\n"


def event_blocks(path: Path) -> list[bytes]:
    """The event blocks of a recorded ami.txt, each without its terminating blank line."""
    text = path.read_bytes().replace(b"\r\n", b"\n")
    return [b.replace(b"\n", b"\r\n") for b in text.split(b"\n\n") if b.strip()]


class AmiServer:
    """Start with `with AmiServer(...) as server:`; `server.port` is where it listens."""

    def __init__(self, username: str = "calldata", secret: str = "s3cret") -> None:
        self.username = username
        self.secret = secret
        self.outbox: queue.Queue[bytes | str] = queue.Queue()  # event blocks, or a command
        self.logins = 0
        self.failed_logins = 0
        self.pings = 0
        self.filters: list[str] = []
        self.logged_in = threading.Event()
        self.silent = False
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                server._session(self.request)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._lock = threading.Lock()

    def __enter__(self) -> AmiServer:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- test controls

    def send(self, *blocks: bytes) -> None:
        for block in blocks:
            self.outbox.put(block)

    def drop(self) -> None:
        """Close the current session after what was queued before."""
        self.outbox.put("drop")

    def drop_inside_next_event(self) -> None:
        """Send half of the next queued event, then close the connection."""
        self.outbox.put("half")

    # -- protocol

    def _session(self, sock: socket.socket) -> None:
        sock.sendall(BANNER)
        reader = threading.Thread(target=self._actions, args=(sock,), daemon=True)
        reader.start()
        if not self.logged_in.wait(10):
            sock.close()
            return
        half = False
        try:
            while True:
                try:
                    item = self.outbox.get(timeout=0.05)
                except queue.Empty:
                    if not reader.is_alive():
                        return
                    continue
                if item == "drop":
                    return
                if item == "half":
                    half = True
                    continue
                assert isinstance(item, bytes)
                with self._lock:
                    if half:
                        sock.sendall(item[: len(item) // 2])
                        return
                    sock.sendall(item + b"\r\n\r\n")
        except OSError:
            pass
        finally:
            self.logged_in.clear()
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _actions(self, sock: socket.socket) -> None:
        buffer = b""
        try:
            while True:
                data = sock.recv(4096)
                if not data:
                    return
                buffer += data
                while b"\r\n\r\n" in buffer:
                    block, _, buffer = buffer.partition(b"\r\n\r\n")
                    headers = dict(
                        line.split(": ", 1) for line in block.decode().split("\r\n") if ": " in line
                    )
                    self._answer(sock, headers)
        except OSError:
            return

    def _answer(self, sock: socket.socket, headers: dict[str, str]) -> None:
        action = headers.get("Action", "").lower()
        aid = headers.get("ActionID", "")
        if self.silent:
            return
        if action == "login":
            if headers.get("Username") == self.username and headers.get("Secret") == self.secret:
                self.logins += 1
                reply = f"Response: Success\r\nActionID: {aid}\r\nMessage: Authentication accepted\r\n\r\n"
                reply += "Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n"
                with self._lock:
                    sock.sendall(reply.encode())
                self.logged_in.set()
            else:
                self.failed_logins += 1
                with self._lock:
                    sock.sendall(f"Response: Error\r\nActionID: {aid}\r\nMessage: Authentication failed\r\n\r\n".encode())
        elif action == "ping":
            self.pings += 1
            with self._lock:
                sock.sendall(f"Response: Success\r\nActionID: {aid}\r\nPing: Pong\r\nTimestamp: 1.0\r\n\r\n".encode())
        elif action == "filter":
            self.filters.append(headers.get("Filter", ""))
            with self._lock:
                sock.sendall(f"Response: Success\r\nActionID: {aid}\r\nMessage: Filter Added Successfully\r\n\r\n".encode())
