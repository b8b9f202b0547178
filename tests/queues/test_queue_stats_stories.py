"""Queue figures of the recorded stories (27 abandon, 29 timeout, 33 answered, all/), as counted by
hand (hand_counts.py): from the parsed log alone, and through POST /rest/queue/stats on both stores
for an admin, a company-scoped user, and a user of another company."""

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
from calldata.auth.permissions import BILLING_CALL_REPORTING, SYSTEM_ADMIN
from calldata.config import Settings
from calldata.queues.event import numbered, parse_line
from calldata.queues.stats import figures
from calldata.queues.stays import lines, stays
from calldata.queues.store import store_events
from queue_world import RUN2, store_queue_log
from queues.hand_counts import ALL, STORIES
from stored_world import key_for

pytestmark = pytest.mark.anyio
DAY = {"year": 2026, "month": 11, "day": 29}
LOGS = {**{story: RUN2 / story / "queue_log" for story in STORIES}, "all": RUN2 / "all" / "queue_log"}
EXPECTED = {**STORIES, "all": ALL}


@asynccontextmanager
async def client(store_url: str, key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(Settings(database_url=store_url, password_hash_profile="CHEAPEST")), key) as c:
        yield c


async def ask(c: httpx.AsyncClient, scope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    r = await c.post("/rest/queue/stats", json={"scope": scope})
    return r.status_code, r.json()


@pytest.mark.parametrize("story", sorted(LOGS))
def test_the_log_alone_gives_the_hand_counts(story: str) -> None:
    events = numbered(parse_line(line) for line in LOGS[story].read_text().splitlines() if line)
    assert figures(stays(lines(events))) == {"acme-support": EXPECTED[story]}


@pytest.mark.parametrize("story", sorted(LOGS))
async def test_the_api_gives_the_hand_counts_to_whoever_may_see_them(story: str, store_url: str, world: Engine) -> None:
    store_queue_log(world, LOGS[story])
    admin = key_for(world, "admin", {SYSTEM_ADMIN: []})
    acme = key_for(world, "acme", {BILLING_CALL_REPORTING: ["acme"]})
    globex = key_for(world, "globex", {BILLING_CALL_REPORTING: ["globex"]})
    async with client(store_url, admin) as c:
        every = await ask(c, DAY)
        asked = await ask(c, {**DAY, "company": "acme", "queues": ["acme-support"]})
        elsewhere = await ask(c, {**DAY, "company": "globex"})
    async with client(store_url, acme) as c:
        own = await ask(c, DAY)
    async with client(store_url, globex) as c:
        other = await ask(c, DAY)
        refused = await ask(c, {**DAY, "company": "acme"})
    expected = {"acme-support": EXPECTED[story]}
    start = int(datetime(2026, 11, 29, tzinfo=UTC).timestamp())  # acme's zone is UTC (the directory)
    assert every == (200, {"result": "success", "from": start, "to": start + 86400, "values": expected})
    assert asked[1]["values"] == own[1]["values"] == expected
    assert elsewhere[1]["values"] == other[1]["values"] == {}
    assert refused[0] == 403 and refused[1]["result"] == "fail"


async def test_events_of_callers_without_cdrs_count_for_an_admin_asking_no_company(store_url: str, world: Engine) -> None:
    # a caller who abandoned before any member rang, whose CDR has not arrived yet
    lines = ["1795965700|1795965699.99|acme-support|NONE|ENTERQUEUE||07700900099|1",
             "1795965705|1795965699.99|acme-support|NONE|ABANDON|1|1|5"]
    with world.begin() as conn:
        store_events(conn, list(numbered(parse_line(line) for line in lines)))
    store_queue_log(world, LOGS["27-inbound-ivr-queue-270-abandon"])
    admin = key_for(world, "admin", {SYSTEM_ADMIN: []})
    async with client(store_url, admin) as c:
        _, every = await ask(c, {**DAY, "serviceLevel": 5})
        _, acme = await ask(c, {**DAY, "company": "acme"})
    assert (every["values"]["acme-support"]["offered"], every["values"]["acme-support"]["abandoned"]) == (2, 2)
    assert every["values"]["acme-support"]["wait"]["abandoned"] == {"avg": 9.5, "p90": 14, "max": 14}
    assert every["values"]["acme-support"]["serviceLevel"] == {"seconds": 5, "answered": 0, "ratio": 0.0}
    assert acme["values"]["acme-support"]["offered"] == 1


async def test_a_quiet_period_and_named_queues(store_url: str, world: Engine) -> None:
    store_queue_log(world, LOGS["all"])
    admin = key_for(world, "admin", {SYSTEM_ADMIN: []})
    async with client(store_url, admin) as c:
        _, before = await ask(c, {"year": 2026, "month": 11, "day": 28})
        _, named = await ask(c, {**DAY, "queues": ["sales"]})
        _, month = await ask(c, {"year": 2026, "month": 11})
    assert before["values"] == {}
    assert named["values"]["sales"]["offered"] == 0 and named["values"]["sales"]["serviceLevel"]["ratio"] is None
    assert set(named["values"]) == {"sales"}
    assert month["values"] == {"acme-support": ALL}


BAD = [
    ({"serviceLevel": -1}, "scope.serviceLevel"),
    ({"serviceLevel": "soon"}, "scope.serviceLevel"),
    ({"serviceLevel": 86401}, "scope.serviceLevel"),
    ({"queues": "acme-support"}, "scope.queues"),
    ({"queues": [""]}, "scope.queues"),
    ({"company": "nobody"}, "scope.company"),
    ({"company": []}, "scope.company"),
    ({"month": 13}, "scope.month"),
    ({"year": 2026, "month": 2, "day": 30}, "scope.day"),
    ({"days": 2}, "scope.days"),
    ({"minID": 1}, "scope.minID"),
]


@pytest.mark.parametrize(("scope", "named"), BAD)
async def test_bad_scopes_are_refused_naming_the_key(scope: dict[str, Any], named: str, store_url: str,
                                                      world: Engine) -> None:
    admin = key_for(world, "admin", {SYSTEM_ADMIN: []})
    async with client(store_url, admin) as c:
        status, answer = await ask(c, scope)
    assert status == 400 and answer["result"] == "fail" and answer["message"].startswith(named), answer
