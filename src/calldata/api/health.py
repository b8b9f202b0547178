"""`GET /health`: is the server up and can it reach its database."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from calldata.api.call_read import Endpoint
from calldata.api.errors import fail

logger = logging.getLogger("calldata.api")


def endpoint(engine: AsyncEngine) -> Endpoint:
    async def health(_request: Request) -> Response:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure to reach the store is "unhealthy", not a crash
            logger.warning("health: database unreachable: %s", exc)
            return fail(503, "database: unreachable")
        return JSONResponse({"result": "success", "database": "ok"})

    return health
