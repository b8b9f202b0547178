"""Slow and surplus clients, dealt with in uvicorn's HTTP protocol (where the app cannot see them).

uvicorn times out only an idle keep-alive connection: a client that opens a connection and sends
half its headers, or a Content-Length and then nothing, holds the connection (and a file
descriptor) for ever. This protocol gives a request's headers `header_timeout_seconds` to arrive,
then its body `body_timeout_seconds`, and answers 408 and closes when they do not; a connection
opened while `max_connections` are open gets 503 to its requests and is closed.
"""

from __future__ import annotations

import asyncio
from asyncio import TimerHandle
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from calldata.api.errors import fail
from calldata.config import Settings


def protocol(settings: Settings) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with the limits of `settings` (pass it as uvicorn's `http`)."""
    return type("LimitedHttpToolsProtocol", (LimitedProtocol,), {"settings": settings})


class LimitedProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with read timeouts on headers and body and a bound on connections."""

    settings: Settings

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_timer: TimerHandle | None = None
        self.request_begun = False  # some of a request has arrived, its headers not all

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.settings.max_connections:
            self.app = fail(  # every request on this connection; uvicorn closes it after the answer
                503,
                f"server busy: more than {self.settings.max_connections} connections open, retry later",
                {"connection": "close"},
            )
        self._time(self.settings.header_timeout_seconds, self._headers_late)

    def connection_lost(self, exc: Exception | None) -> None:
        self._untime()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.request_begun = True
        if self.read_timer is None:  # the next request on a kept-alive connection
            self._time(self.settings.header_timeout_seconds, self._headers_late)

    def on_headers_complete(self) -> None:
        self.request_begun = False
        super().on_headers_complete()
        self._time(self.settings.body_timeout_seconds, self._body_late)

    def on_message_complete(self) -> None:
        self._untime()
        super().on_message_complete()

    def _time(self, seconds: float, late: Any) -> None:
        self._untime()
        self.read_timer = self.loop.call_later(seconds, late)

    def _untime(self) -> None:
        if self.read_timer is not None:
            self.read_timer.cancel()
            self.read_timer = None

    def _headers_late(self) -> None:
        self.read_timer = None
        if not self.request_begun:  # nothing asked: an idle connection simply ends
            self.transport.close()
            return
        self._give_up(f"request headers not complete within {self.settings.header_timeout_seconds} s")

    def _body_late(self) -> None:
        self.read_timer = None
        self._give_up(f"body: not complete within {self.settings.body_timeout_seconds} s")

    def _give_up(self, message: str) -> None:
        """408 in the fail envelope unless an answer has begun (then only the connection ends)."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            if cycle.response_started:
                cycle.keep_alive = False
                return
            cycle.disconnected = True  # the app's own answer, if it makes one, goes nowhere
            cycle.message_event.set()
        if not self.transport.is_closing():
            self.transport.write(_raw_response(408, message, self.server_state.default_headers))
            self.transport.close()


def _raw_response(status: int, message: str, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A complete fail response, written straight to a connection the app is not answering."""
    body = fail(status, message).body
    head = [STATUS_LINE[status]]
    head += [name + b": " + value + b"\r\n" for name, value in default_headers]
    head += [
        b"content-type: application/json\r\n",
        b"content-length: " + str(len(body)).encode() + b"\r\n",
        b"connection: close\r\n\r\n",
    ]
    return b"".join(head) + bytes(body)
