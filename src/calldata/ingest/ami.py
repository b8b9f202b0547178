"""The AMI `Cdr` event feed (cdr_manager): login, keep-alive, reconnect, and Cdr events as `Cdr`s.

Asterisk pushes each Cdr event once, to the sessions connected at that moment, and keeps no
backlog: what is sent while calldata is disconnected is never replayed (docs/asterisk.md says
how to pair this source with the CDR table or Master.csv, which close that gap through the
natural key). What this client does guarantee: an event it has received is stored, even if the
connection drops right after; an event cut off by a dropped connection is quarantined, not lost
silently; a silent connection is noticed by the keep-alive and replaced.
"""

from __future__ import annotations

import itertools
import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo

from calldata.cdr import Cdr, CdrValueError
from calldata.ingest.csvfile import cdr_from_fields, decode
from calldata.ingest.layouts import Layout
from calldata.ingest.source import Batch, SourceUnavailable
from calldata.store.quarantine import Rejected

# cdr_manager's headers (lower-cased) -> Cdr fields; LinkedID, Sequence and PeerAccount come
# from the [mappings] section of cdr_manager.conf.
HEADER_FIELDS = {
    "accountcode": "accountcode",
    "source": "src",
    "destination": "dst",
    "destinationcontext": "dcontext",
    "callerid": "clid",
    "channel": "channel",
    "destinationchannel": "dstchannel",
    "lastapplication": "lastapp",
    "lastdata": "lastdata",
    "starttime": "start",
    "answertime": "answer",
    "endtime": "end",
    "duration": "duration",
    "billableseconds": "billsec",
    "disposition": "disposition",
    "amaflags": "amaflags",
    "uniqueid": "uniqueid",
    "userfield": "userfield",
    "linkedid": "linkedid",
    "sequence": "sequence",
    "peeraccount": "peeraccount",
}
_LAYOUT = Layout("ami", tuple(HEADER_FIELDS.values()))


def parse_message(block: bytes) -> dict[str, str]:
    """One AMI message (the lines before a blank line) as lower-cased header -> value."""
    headers: dict[str, str] = {}
    for line in decode(block).replace("\r\n", "\n").split("\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value[1:] if value.startswith(" ") else value
    return headers


def cdr_from_event(headers: dict[str, str], zone: tzinfo) -> Cdr:
    """A Cdr event's headers -> `Cdr` (times written without an offset are in `zone`)."""
    if "starttime" not in headers:
        raise CdrValueError("StartTime: missing")
    return cdr_from_fields([headers.get(h, "") for h in HEADER_FIELDS], _LAYOUT, zone)


class AmiClosed(SourceUnavailable):
    """The manager connection ended or went silent."""


class AmiConnection:
    """One logged-in manager session over a blocking socket."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self.buffer = b""
        self.last_heard = time.monotonic()
        self.action_ids = itertools.count(1)
        banner = self._line()
        if not banner.startswith(b"Asterisk Call Manager"):
            raise AmiClosed(f"not an Asterisk manager: {banner[:60]!r}")

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self, timeout: float) -> bool:
        """Read what arrives within `timeout`; False if nothing did. `AmiClosed` at end of stream."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(65536)
        except (TimeoutError, BlockingIOError):
            return False
        except OSError as exc:
            raise AmiClosed(f"connection lost: {exc}") from exc
        if not data:
            raise AmiClosed("connection closed by Asterisk")
        self.buffer += data
        self.last_heard = time.monotonic()
        return True

    def _line(self) -> bytes:
        while b"\n" not in self.buffer:
            if not self._fill(self.timeout):
                raise AmiClosed("no banner from the manager")
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.rstrip(b"\r")

    def send(self, action: str, **headers: str) -> str:
        """Send an action; returns its ActionID."""
        action_id = str(next(self.action_ids))
        lines = [f"Action: {action}", f"ActionID: {action_id}", *(f"{k}: {v}" for k, v in headers.items())]
        try:
            self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        except OSError as exc:
            raise AmiClosed(f"connection lost: {exc}") from exc
        return action_id

    def messages(self, timeout: float) -> Iterator[bytes]:
        """Complete messages already received, reading for up to `timeout` if there are none."""
        while True:
            for sep in (b"\r\n\r\n", b"\n\n"):
                block, found, rest = self.buffer.partition(sep)
                if found:
                    self.buffer = rest
                    yield block
                    break
            else:
                if not self._fill(timeout):
                    return
                timeout = 0.0  # after the first read, take only what is already there

    def login(self, username: str, secret: str, event_filter: bool) -> None:
        action_id = self.send("Login", Username=username, Secret=secret, Events="cdr")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for block in self.messages(deadline - time.monotonic()):
                headers = parse_message(block)
                if headers.get("actionid") == action_id:
                    if headers.get("response", "").lower() != "success":
                        raise SourceUnavailable(f"AMI login refused: {headers.get('message', 'no message')}")
                    if event_filter:
                        self.send("Filter", Operation="Add", Filter="Event: Cdr")
                    return
        raise AmiClosed("no answer to Login")


class AmiSource:
    """Cdr events from one Asterisk manager; the position is the last event's time (informative)."""

    kind = "ami"

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        username: str,
        secret: str,
        *,
        zone: tzinfo = UTC,
        keepalive: float = 20.0,
        timeout: float = 10.0,
        batch_size: int = 500,
        event_filter: bool = False,
    ) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.username = username
        self.secret = secret
        self.zone = zone
        self.keepalive = keepalive
        self.timeout = timeout
        self.batch_size = batch_size
        self.event_filter = event_filter
        self._conn: AmiConnection | None = None
        self._connected_once = False
        self._reconnects = 0
        self._position = ""
        self._closed_reason = ""

    def open(self, position: str) -> None:
        self._position = position
        try:
            self._conn = AmiConnection(self.host, self.port, self.timeout)
            self._conn.login(self.username, self.secret, self.event_filter)
        except OSError as exc:
            self.close()
            raise SourceUnavailable(f"AMI {self.host}:{self.port}: {exc}") from exc
        except SourceUnavailable:
            self.close()
            raise
        if self._connected_once:
            self._reconnects += 1
        self._connected_once = True
        self._session = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
        self._count = 0
        self._last_ping = time.monotonic()
        self._closed_reason = ""

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def reconnects(self) -> int:
        n, self._reconnects = self._reconnects, 0
        return n

    def read(self, wait: float) -> Batch | None:
        if self._closed_reason:
            raise AmiClosed(self._closed_reason)
        conn = self._conn
        if conn is None:
            raise AmiClosed("not connected")
        records: list[Cdr] = []
        rejected: list[Rejected] = []
        deadline = time.monotonic() + wait
        try:
            while len(records) + len(rejected) < self.batch_size:
                self._keep_alive(conn)
                got = False
                slice_ = 0.0 if records or rejected else max(0.0, min(deadline - time.monotonic(), 1.0))
                for block in conn.messages(slice_):
                    got = True
                    self._event(block, records, rejected)
                    if len(records) + len(rejected) >= self.batch_size:
                        break
                if records or rejected:
                    if not got:
                        break  # nothing more waiting: hand over what we have
                elif time.monotonic() >= deadline:
                    break
        except AmiClosed as exc:
            # keep what arrived; a message cut off mid-way is quarantined, not dropped silently
            if conn.buffer.strip():
                self._count += 1
                rejected.append(self._rejected(conn.buffer, "connection closed in the middle of this event"))
                conn.buffer = b""
            if not records and not rejected:
                raise
            self._closed_reason = str(exc)
        if not records and not rejected:
            return None
        return Batch(records, rejected, self._position)

    def _keep_alive(self, conn: AmiConnection) -> None:
        now = time.monotonic()
        if now - conn.last_heard > self.keepalive + self.timeout:
            raise AmiClosed(f"no answer to keep-alive for {now - conn.last_heard:.0f} s")
        if now - self._last_ping >= self.keepalive:
            conn.send("Ping")
            self._last_ping = now

    def _rejected(self, block: bytes, reason: str) -> Rejected:
        return Rejected(self.name, f"session {self._session} event {self._count}", decode(block), reason)

    def _event(self, block: bytes, records: list[Cdr], rejected: list[Rejected]) -> None:
        headers = parse_message(block)
        if headers.get("event", "").lower() != "cdr":
            return  # responses (Pong) and any other event class the login let through
        self._count += 1
        try:
            record = cdr_from_event(headers, self.zone)
        except CdrValueError as exc:
            rejected.append(self._rejected(block, str(exc)))
            return
        records.append(record)
        self._position = json.dumps(
            {"timestamp": headers.get("timestamp", ""), "uniqueid": record.uniqueid, "sequence": record.sequence}
        )
