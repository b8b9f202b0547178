"""The answer while the database cannot be reached: 503 in the fail envelope, with Retry-After."""

from __future__ import annotations

from starlette.responses import Response

from calldata.api.errors import fail
from calldata.store.retry import StoreUnavailable

RETRY_AFTER_SECONDS = 1


def unavailable(exc: StoreUnavailable) -> Response:
    """Tell the client to send the same request again shortly (reads and logins are safe to repeat)."""
    response = fail(503, str(exc))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
