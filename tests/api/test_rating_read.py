"""/rest/call/read with cachedata carries each leg's rating; without cachedata the rows stay the PBX's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine

from api_helpers import Connect
from rated_world import load_rated_world
from test_rows import BASE_KEYS

pytestmark = pytest.mark.anyio
RATING_KEYS = {"rating", "price", "currency", "cost", "cost_currency", "destination", "destination_kind"}


async def rows(connect: Connect, **scope: Any) -> list[dict[str, Any]]:
    async with connect() as client:
        r = await client.post("/rest/call/read", content=json.dumps({"scope": {"maxRows": 10000, **scope}}))
    assert r.status_code == 200, r.text
    return r.json()["values"]


def by_number(found: list[dict[str, Any]], dial_full: str) -> dict[str, Any]:
    [row] = [row for row in found if row["properties"].get("dial_full") == dial_full and row["rating"]]
    return row


async def test_cachedata_rows_carry_price_cost_currency_and_destination(connect: Connect, engine: Engine) -> None:
    load_rated_world(engine)
    found = await rows(connect, cachedata=True)
    mobile = by_number(found, "447700900123")  # 11 s on Sunday: sell 1 min x 0.0400; buy 11 s x 0.0100/60
    assert {key: mobile[key] for key in RATING_KEYS} == {
        "rating": "rated", "price": "0.0400", "currency": "GBP", "cost": "0.0018", "cost_currency": "GBP",
        "destination": "UK Mobile", "destination_kind": "Mobile"}
    france = by_number(found, "33144556677")  # Globex through globexgw, which has no buy deck
    assert {key: france[key] for key in RATING_KEYS} == {
        "rating": "unrated", "price": "0.0400", "currency": "GBP", "cost": "", "cost_currency": "",
        "destination": "France", "destination_kind": "International"}
    internal = next(row for row in found if row["dst"] == "202" and row["channel"].startswith("IAX2/acme-201"))
    assert {key: internal[key] for key in RATING_KEYS} == dict.fromkeys(RATING_KEYS, "")


async def test_the_plain_read_has_no_rating_members(connect: Connect, engine: Engine) -> None:
    load_rated_world(engine)
    found = await rows(connect)
    assert found and all(list(row) == BASE_KEYS for row in found)
