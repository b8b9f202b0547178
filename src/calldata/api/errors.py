"""The `fail` envelope every error answers with, and the handlers that turn exceptions into it."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

logger = logging.getLogger("calldata.api")


class ApiError(Exception):
    """A request the API refuses; `message` names the field at fault (call-read.md, Errors)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def fail(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """`{"result": "fail", "message": ...}` with a real HTTP status."""
    body = msgspec.json.encode({"result": "fail", "message": message})
    return Response(body, status_code=status, headers=headers, media_type="application/json")


async def api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return fail(exc.status, exc.message)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 in the envelope, naming what was asked for."""
    assert isinstance(exc, HTTPException)
    asked = f"{request.method} {request.url.path}"
    if exc.status_code == 404:
        return fail(404, f"unknown command: {asked}")
    if exc.status_code == 405:
        return fail(405, f"method not allowed: {asked}", exc.headers)  # Allow: what the path serves
    return fail(exc.status_code, str(exc.detail))


async def internal_error(request: Request, exc: Exception) -> Response:
    """Any unexpected exception: logged here with its traceback, never shown to the client."""
    logger.error("internal error answering %s %s", request.method, request.url.path, exc_info=exc)
    # The server drops the connection after a 500 (ServerErrorMiddleware); say so, so that a
    # keep-alive client does not send its next request into a closed socket.
    message = "internal error: the server could not answer this request (see its log)"
    return fail(500, message, {"connection": "close"})
