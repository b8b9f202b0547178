"""A recording's file with HTTP Range, whose refusals of the Range header answer in the fail envelope.

Starlette's FileResponse answers a malformed Range with a plain-text 400 and one past the end with
an empty 416; an API client reads `{"result": "fail", "message": ...}` for every refusal.
"""

from __future__ import annotations

from starlette.responses import FileResponse
from starlette.types import Message, Receive, Scope, Send

from calldata.api.errors import fail

_REFUSALS = (400, 416)


class Audio(FileResponse):
    """FileResponse, with its Range refusals rewritten on their way out (its own answers untouched)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal: Message | None = None
        said = b""

        async def enveloped(message: Message) -> None:
            nonlocal refusal, said
            if message["type"] == "http.response.start" and message["status"] in _REFUSALS:
                refusal = message
            elif refusal is None:
                await send(message)
            else:
                said += message.get("body", b"")
                if not message.get("more_body", False):
                    await _answer(refusal, said.decode(errors="replace"), scope, receive, send)

        await super().__call__(scope, receive, enveloped)


async def _answer(refusal: Message, said: str, scope: Scope, receive: Receive, send: Send) -> None:
    """The refusal as a fail envelope; a 416 keeps its `Content-Range: bytes */SIZE`."""
    headers = {name.decode(): value.decode() for name, value in refusal["headers"] if name == b"content-range"}
    if refusal["status"] == 416:
        size = headers.get("content-range", "").rpartition("/")[2]
        message = f"Range: not satisfiable, the file has {size} bytes"
    else:
        message = f"Range: {said.strip().rstrip('.') or 'malformed'}"
    await fail(refusal["status"], message, headers)(scope, receive, send)
