"""Helpers of the call tests: the app in this process, asked for calls with an API key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from api.api_helpers import serving
from calldata.api.app import create_app
from calldata.config import Settings


@asynccontextmanager
async def client(store_url: str, key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(Settings(database_url=store_url, password_hash_profile="CHEAPEST")), key) as c:
        yield c


async def ask(c: httpx.AsyncClient, scope: Any, **body: Any) -> tuple[int, dict[str, Any]]:
    r = await c.post("/rest/call/calls", json={"scope": scope, **body})
    return r.status_code, r.json()


async def walk(c: httpx.AsyncClient, max_rows: int) -> list[dict[str, Any]]:
    """Every call, page after page of `max_rows` by first acctid."""
    calls: list[dict[str, Any]] = []
    min_id = 0
    while True:
        status, page = await ask(c, {"minID": min_id, "maxRows": max_rows})
        assert status == 200, page
        calls += page["values"]
        if page["numRows"] < max_rows:
            return calls
        min_id = page["nextID"]


async def feed(c: httpx.AsyncClient, after: int, max_rows: int = 7) -> tuple[list[dict[str, Any]], int]:
    """Every call changed after `after`, and the last sequence seen (the next `changed`)."""
    calls: list[dict[str, Any]] = []
    while True:
        status, page = await ask(c, {"changed": after, "maxRows": max_rows})
        assert status == 200, page
        calls += page["values"]
        after = page["nextChanged"]
        if page["numRows"] < max_rows:
            return calls, after
