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


def endpoint(engine: AsyncEngine, reader: AsyncEngine) -> Endpoint:
    """`reader`: where reads go (the read replica, or `engine` itself)."""
    stores = {"database": engine} if reader is engine else {"database": engine, "replica": reader}

    async def health(_request: Request) -> Response:
        for name, store in stores.items():
            try:
                async with store.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            except Exception as exc:  # any failure to reach the store is "unhealthy", not a crash
                logger.warning("health: %s unreachable: %s", name, exc)
                return fail(503, f"{name}: unreachable")
        return JSONResponse({"result": "success", **{name: "ok" for name in stores}})

    return health
