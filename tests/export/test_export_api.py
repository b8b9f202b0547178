"""POST /rest/call/export through the real app: the rows, company scoping, refusals naming the field."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import Engine

from api.api_helpers import serving
from calldata.api.app import create_app
from calldata.auth.permissions import BILLING_CALL_REPORTING, SYSTEM_ADMIN
from calldata.config import Settings
from export.expected import ZONE, as_csv, read_rows
from stored_world import key_for

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def client(store_url: str, key: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=store_url, password_hash_profile="CHEAPEST", display_tz=ZONE)
    async with serving(create_app(settings), key) as c:
        yield c


async def test_csv_and_ndjson_hold_the_stored_rows(store_url: str, world: Engine) -> None:
    key = key_for(world, "admin", {SYSTEM_ADMIN: []})
    async with client(store_url, key) as c:
        as_text = await c.post("/rest/call/export", json={"scope": {"bom": True}})
        as_lines = await c.post("/rest/call/export", json={"scope": {"format": "ndjson"}})
    assert as_text.status_code == 200 and as_text.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_text.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(as_text.content.decode("utf-8-sig").splitlines()))
    assert rows == [as_csv(row) for row in read_rows(world)]
    assert [json.loads(line) for line in as_lines.content.splitlines()] == read_rows(world)


async def test_a_company_user_exports_only_its_company(store_url: str, world: Engine) -> None:
    key = key_for(world, "globex_billing", {BILLING_CALL_REPORTING: ["globex"]})
    async with client(store_url, key) as c:
        legs = await c.post("/rest/call/export", json={"scope": {"format": "ndjson"}})
        calls = await c.post("/rest/call/export", json={"scope": {"format": "ndjson", "kind": "calls"}})
        named = await c.post("/rest/call/export", json={"scope": {"company": "globex", "format": "ndjson"}})
        other = await c.post("/rest/call/export", json={"scope": {"company": "acme"}})
    mine = read_rows(world, {"globex"})
    assert mine and [json.loads(line) for line in legs.content.splitlines()] == mine
    assert named.content == legs.content
    shown = {acctid for line in calls.content.splitlines() for acctid in json.loads(line)["legs"]}
    assert shown == {row["acctid"] for row in mine}
    assert other.status_code == 403 and other.json()["message"].startswith("permission: company 'acme'")


async def test_a_company_users_csv_holds_only_its_company(store_url: str, world: Engine) -> None:
    """The legs CSV (written by COPY on PostgreSQL) is scoped as the rows are: globex's legs, nothing else."""
    key = key_for(world, "globex_billing", {BILLING_CALL_REPORTING: ["globex"]})
    async with client(store_url, key) as c:
        legs = await c.post("/rest/call/export", json={"scope": {}})
        acme = await c.post("/rest/call/export", json={"scope": {"company": "acme"}})
    rows = list(csv.DictReader(legs.content.decode().splitlines()))
    mine = [as_csv(row) for row in read_rows(world, {"globex"})]
    assert mine and rows == mine and len(mine) < len(read_rows(world))
    assert acme.status_code == 403


@pytest.mark.parametrize(("scope", "field"), [
    ({"kind": "rows"}, "scope.kind"),
    ({"format": "xlsx"}, "scope.format"),
    ({"bom": "yes"}, "scope.bom"),
    ({"minDate": "today"}, "scope.minDate"),
    ({"minDate": 10, "maxDate": 5}, "scope.minDate"),
    ({"company": ["acme"]}, "scope.company"),
    ({"minID": 3}, "scope.minID"),
])
async def test_bad_requests_are_400_naming_the_field(store_url: str, engine: Engine, scope: dict, field: str) -> None:
    key = key_for(engine, "admin", {SYSTEM_ADMIN: []})
    async with client(store_url, key) as c:
        r = await c.post("/rest/call/export", json={"scope": scope})
    assert r.status_code == 400 and r.json()["message"].startswith(f"{field}:"), r.text
