"""POST /rest/call/incalls and /rest/call/outcalls through the real app: answers, refusals, permissions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from api.api_helpers import serving
from calldata.api.app import create_app
from calldata.auth.permissions import BILLING_CALL_REPORTING, BILLING_CALL_SUMMARY, SYSTEM_ADMIN
from calldata.config import Settings
from stored_world import key_for

pytestmark = pytest.mark.anyio
NOVEMBER = {"company": "acme", "year": 2026, "month": 11}


@asynccontextmanager
async def client(store_url: str, key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(Settings(database_url=store_url, password_hash_profile="CHEAPEST")), key) as c:
        yield c


async def ask(c: httpx.AsyncClient, kind: str, scope: Any, **body: Any) -> tuple[int, dict[str, Any]]:
    r = await c.post(f"/rest/call/{kind}", json={"type": "cdr", "scope": scope, **body})
    return r.status_code, r.json()


async def test_reports_hold_only_legs_call_read_returns_for_the_company_and_period(store_url: str, world: Engine) -> None:
    key = key_for(world, "reporter", {BILLING_CALL_REPORTING: ["acme"]})
    start, end = (int(datetime(2026, m, 1, tzinfo=UTC).timestamp() * 1000) for m in (11, 12))
    async with client(store_url, key) as c:
        reports = [await ask(c, kind, NOVEMBER) for kind in ("incalls", "outcalls")]
        read = await c.post("/rest/call/read", json={"scope": {"minDate": start, "maxDate": end, "maxRows": 10000}})
    assert read.status_code == 200
    readable = {row["acctid"] for row in read.json()["values"]}
    reported = set()
    for status, answer in reports:
        assert status == 200 and answer["result"] == "success"
        reported |= {call["acctid"] for entry in answer["values"].values() for call in entry["calls"]}
    assert reported and reported <= readable


async def test_company_as_an_array_and_named_extensions(store_url: str, world: Engine) -> None:
    key = key_for(world, "admin", {SYSTEM_ADMIN: []})
    async with client(store_url, key) as c:
        _, one = await ask(c, "incalls", {**NOVEMBER, "company": ["acme"], "extensions": ["201", 203]})
        _, several = await ask(c, "incalls", {**NOVEMBER, "company": ["acme", "globex"], "extensions": ["202"]})
        _, quiet = await ask(c, "outcalls", {**NOVEMBER, "day": 2, "deviceids": ["pjsip/acme-203"],
                                             "keeviomerge": True, "recalc": False})
    assert set(one["values"]) == {"201", "203"}
    assert set(several["values"]) == {"acme/202", "globex/202"}
    assert quiet["values"] == {"PJSIP/acme-203": {"name": "Carol", "device": "PJSIP/acme-203", "extension": "203",
                                                  "calls": [], "totals": {"calls": 0, "billsecs": 0}}}


BAD = [
    ("incalls", {"minID": 1}, "scope.minID"),
    ("incalls", {"deviceids": ["IAX2/acme-201"]}, "scope.deviceids"),
    ("incalls", {"recalc": True}, "scope.recalc"),
    ("outcalls", {"extensions": ["201"]}, "scope.extensions"),
    ("incalls", {"month": 13}, "scope.month"),
    ("incalls", {"month": "11x"}, "scope.month"),
    ("incalls", {"year": 1969}, "scope.year"),
    ("incalls", {"day": 31}, "scope.day"),
    ("incalls", {"day": 0}, "scope.day"),
    ("incalls", {"day": 1, "days": 0}, "scope.days"),
    ("incalls", {"day": 1, "days": 367}, "scope.days"),
    ("incalls", {"days": 2}, "scope.days"),
    ("incalls", {"company": 5}, "scope.company"),
    ("incalls", {"company": []}, "scope.company"),
    ("incalls", {"company": "no such"}, "scope.company"),
    ("incalls", {"company": "nobody"}, "scope.company"),
    ("incalls", {"extensions": "201"}, "scope.extensions"),
    ("incalls", {"extensions": [True]}, "scope.extensions"),
    ("incalls", {"extensions": ["299"]}, "scope.extensions"),
    ("outcalls", {"deviceids": ["IAX2/globex-201"]}, "scope.deviceids"),
    ("outcalls", {"keeviomerge": "yes"}, "scope.keeviomerge"),
]


@pytest.mark.parametrize(("kind", "scope", "named"), BAD, ids=[f"{k}-{n}-{i}" for i, (k, _, n) in enumerate(BAD)])
async def test_a_bad_scope_is_a_400_naming_the_key(store_url: str, world: Engine, kind: str, scope: dict, named: str) -> None:
    key = key_for(world, "admin", {SYSTEM_ADMIN: []})
    async with client(store_url, key) as c:
        status, answer = await ask(c, kind, {"company": "acme", "year": 2026, "month": 11, **scope})
    assert status == 400 and answer["result"] == "fail" and answer["message"].startswith(f"{named}:"), answer


async def test_a_bad_body_or_type_is_a_400(store_url: str, world: Engine) -> None:
    key = key_for(world, "admin", {SYSTEM_ADMIN: []})
    async with client(store_url, key) as c:
        status, answer = await ask(c, "outcalls", NOVEMBER, type="queue")
        scope_status, scope_answer = await ask(c, "outcalls", ["acme"])
    assert status == 400 and answer["message"].startswith("type:")
    assert scope_status == 400 and scope_answer["message"].startswith("scope:")


GRANTS = [
    ({SYSTEM_ADMIN: []}, ["acme"], 200),
    ({BILLING_CALL_SUMMARY: []}, ["acme", "globex"], 200),
    ({BILLING_CALL_REPORTING: []}, ["globex"], 200),
    ({BILLING_CALL_REPORTING: ["acme"]}, ["acme"], 200),
    ({BILLING_CALL_SUMMARY: ["acme"]}, "acme", 200),
    ({BILLING_CALL_REPORTING: ["acme"]}, ["globex"], 403),
    ({BILLING_CALL_REPORTING: ["acme"]}, ["acme", "globex"], 403),
    ({BILLING_CALL_SUMMARY: ["globex"]}, "acme", 403),
    ({}, "acme", 403),
]


@pytest.mark.parametrize(("grants", "companies", "status"), GRANTS)
@pytest.mark.parametrize("kind", ["incalls", "outcalls"])
async def test_permissions_per_company(store_url: str, world: Engine, kind: str, grants: dict, companies: Any, status: int) -> None:
    key = key_for(world, "someone", grants)
    async with client(store_url, key) as c:
        got, answer = await ask(c, kind, {**NOVEMBER, "company": companies})
    assert got == status, answer
    if status == 403:
        assert answer["result"] == "fail" and answer["message"].startswith("permission:")
    else:
        assert answer["result"] == "success" and answer["values"]


async def test_a_scoped_user_is_refused_another_company_as_call_read_refuses_the_unpermitted(store_url: str, world: Engine) -> None:
    scoped = key_for(world, "scoped", {BILLING_CALL_REPORTING: ["acme"]})
    nobody = key_for(world, "nobody", {})
    async with client(store_url, scoped) as c:
        other = await c.post("/rest/call/incalls", json={"scope": {**NOVEMBER, "company": "globex"}})
    async with client(store_url, nobody) as c:
        read = await c.post("/rest/call/read", json={})
    assert other.status_code == read.status_code == 403
    assert other.json().keys() == read.json().keys() == {"result", "message"}
    assert "'globex'" in other.json()["message"]


async def test_without_credentials_a_report_is_a_401(store_url: str, world: Engine) -> None:
    async with serving(create_app(Settings(database_url=store_url))) as c:
        r = await c.post("/rest/call/outcalls", json={"scope": NOVEMBER})
    assert r.status_code == 401 and r.json()["result"] == "fail"
