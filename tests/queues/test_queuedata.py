"""`queuedata: true` on /rest/call/read: every row carries its call's queue_log events, on the
engine path (SQLite, and PostgreSQL through SQLAlchemy) and the asyncpg pool (the API on PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from api.api_helpers import cdr, serving, set_columns, store_rows
from calldata.api.app import create_app
from calldata.auth.permissions import BILLING_CALL_REPORTING, SYSTEM_ADMIN
from calldata.config import Settings
from calldata.queues.event import numbered, parse_line
from calldata.queues.store import store_events
from calldata.store import reads
from queue_world import RUN2, store_queue_log
from stored_world import key_for

pytestmark = pytest.mark.anyio


def logged(callid: str) -> list[dict[str, Any]]:
    """The events of a caller as `queue` lists them, written out from all/queue_log."""
    found = []
    for line in (RUN2 / "all" / "queue_log").read_text().splitlines():
        time, caller, queue, agent, event, *data = line.split("|")
        if caller == callid:
            while data and not data[-1]:
                data.pop()
            found.append({"time": int(time), "queue": queue, "agent": agent, "event": event, "data": data})
    return found


QUEUED = {uniqueid: logged(uniqueid) for uniqueid in ("1795965356.0", "1795965407.10", "1795965551.50")}


async def read_all(store_url: str, key: str, **scope: Any) -> list[dict[str, Any]]:
    """Every row the key may read, with queuedata, paged 7 at a time (pages read ahead too)."""
    rows: list[dict[str, Any]] = []
    async with serving(create_app(Settings(database_url=store_url, password_hash_profile="CHEAPEST")), key) as c:
        min_id = 0
        while True:
            r = await c.post("/rest/call/read", json={"scope": {"minID": min_id, "maxRows": 7, "queuedata": True, **scope}})
            assert r.status_code == 200, r.text
            page = r.json()["values"]
            if not page:
                return rows
            rows += page
            min_id = page[-1]["acctid"] + 1


async def test_rows_of_queue_calls_carry_the_events_others_none(store_url: str, world: Engine) -> None:
    store_queue_log(world, RUN2 / "all" / "queue_log")
    rows = await read_all(store_url, key_for(world, "admin", {SYSTEM_ADMIN: []}), cachedata=True)
    carrying = {row["acctid"]: row["uniqueid"] for row in rows if row["queue"]}
    # 27: two member legs; 29: three member legs and the overflow to 201; 33: Alice's leg and two members
    assert sorted(carrying.values()) == ["1795965356.0"] * 2 + ["1795965407.10"] * 4 + ["1795965551.50"] * 3
    for row in rows:
        assert row["queue"] == QUEUED.get(row["uniqueid"], [])
    assert all("rating" in row for row in rows)  # with cachedata too


async def test_the_engine_path_gives_the_pools_rows(store_url: str, world: Engine) -> None:
    store_queue_log(world, RUN2 / "all" / "queue_log")
    served = await read_all(store_url, key_for(world, "admin", {SYSTEM_ADMIN: []}))
    reads.prepare(world, "UTC")
    world.dispose()
    with world.connect() as conn:
        page = reads.read_page(conn, reads.PageQuery(0, 10_000, queuedata=True))
    assert json.loads(page.values) == served


async def test_a_company_sees_the_events_of_its_own_legs_only(store_url: str, engine: Engine) -> None:
    # one call, two callers' channels: acme's leg (uniqueid u.1) and globex's (u.2), each with events
    acme_leg, globex_leg, stranger = store_rows(engine, [
        cdr(1, uniqueid="u.1"), cdr(2, uniqueid="u.2"), cdr(3, uniqueid="u.3")])
    set_columns(engine, acme_leg, company="acme", target="acme", call="u.1")
    set_columns(engine, globex_leg, company="globex", target="", call="u.1")
    set_columns(engine, stranger, company="globex", target="globex", call="u.3")
    base = datetime(2016, 3, 22, 10, 53, tzinfo=UTC)
    lines = [f"{int((base + timedelta(seconds=n)).timestamp())}|{callid}|q|NONE|ENTERQUEUE||0{n}|1"
             for n, callid in enumerate(["u.2", "u.1", "u.9"])]
    with engine.begin() as conn:
        store_events(conn, list(numbered(parse_line(line) for line in lines)))
    u1, u2 = ({"time": int(base.timestamp()) + n, "queue": "q", "agent": "NONE", "event": "ENTERQUEUE",
               "data": ["", f"0{n}", "1"]} for n in (1, 0))
    admin = await read_all(store_url, key_for(engine, "admin", {SYSTEM_ADMIN: []}))
    acme = await read_all(store_url, key_for(engine, "acme", {BILLING_CALL_REPORTING: ["acme"]}))
    globex = await read_all(store_url, key_for(engine, "globex", {BILLING_CALL_REPORTING: ["globex"]}))
    assert [(row["acctid"], row["queue"]) for row in admin] == [(acme_leg, [u2, u1]), (globex_leg, [u2, u1]),
                                                                (stranger, [])]
    assert [(row["acctid"], row["queue"]) for row in acme] == [(acme_leg, [u1])]
    assert [(row["acctid"], row["queue"]) for row in globex] == [(globex_leg, [u2]), (stranger, [])]
