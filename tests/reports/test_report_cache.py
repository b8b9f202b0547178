"""Reports shared between requests: identical ones in flight built once, kept until the store changes,
within their bounds; a new leg, a reprocess and a new directory version each give the new report."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, delete
from starlette.applications import Starlette

from api.api_helpers import serving
from calldata.api.app import create_app
from calldata.attribution import versions
from calldata.attribution.directory import parse_directory
from calldata.attribution.refresh import reprocess
from calldata.auth.permissions import BILLING_CALL_REPORTING, SYSTEM_ADMIN
from calldata.config import Settings
from calldata.demo.generator import generate
from calldata.ingest.sink import store_batch
from calldata.reports.build import report
from calldata.reports.cache import ReportCache
from calldata.reports.request import ReportRequest
from calldata.store.schema import cdr
from recordings import DIRECTORY_YAML, carol_moved
from stored_world import key_for

pytestmark = pytest.mark.anyio
NOVEMBER = {"company": "acme", "year": 2026, "month": 11}
ASKERS = 8


@asynccontextmanager
async def app_client(store_url: str, key: str) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    app = create_app(Settings(database_url=store_url, password_hash_profile="CHEAPEST"))
    async with serving(app, key) as c:
        yield app, c


async def values(c: httpx.AsyncClient, kind: str, scope: dict[str, Any]) -> dict[str, Any]:
    r = await c.post(f"/rest/call/{kind}", json={"type": "cdr", "scope": scope})
    assert r.status_code == 200, r.text[:300]
    return r.json()["values"]


def fresh(engine: Engine, kind: str, company: str) -> dict[str, Any]:
    """The report built straight from the store, as it is now."""
    with engine.connect() as conn:
        return report(conn, kind, ReportRequest((company,), 2026, 11), "UTC")


async def test_identical_requests_at_once_build_one_report(store_url: str, world: Engine) -> None:
    key = key_for(world, "admin", {SYSTEM_ADMIN: []})
    async with app_client(store_url, key) as (app, c):
        first = await asyncio.gather(*(c.post("/rest/call/incalls", json={"type": "cdr", "scope": NOVEMBER})
                                       for _ in range(ASKERS)))
        again = await c.post("/rest/call/incalls", json={"type": "cdr", "scope": NOVEMBER})
        other = await values(c, "incalls", {**NOVEMBER, "day": 2})
        builds = app.state.report_cache.builds
    assert {r.status_code for r in first} == {200}
    assert len({r.content for r in [*first, again]}) == 1
    assert first[0].json()["values"] == fresh(world, "incalls", "acme")
    assert other != first[0].json()["values"]
    assert builds == 2  # the month once (eight at once, then once more), the day once


async def test_the_permission_check_runs_on_every_request(store_url: str, world: Engine) -> None:
    admin = key_for(world, "admin", {SYSTEM_ADMIN: []})
    globex_only = {"authorization": f"Bearer {key_for(world, 'globex_only', {BILLING_CALL_REPORTING: ['globex']})}"}
    async with app_client(store_url, admin) as (app, c):
        held = await values(c, "incalls", NOVEMBER)  # acme's month, now kept
        refused = await c.post("/rest/call/incalls", json={"type": "cdr", "scope": NOVEMBER}, headers=globex_only)
        allowed = await c.post("/rest/call/incalls", json={"type": "cdr", "scope": {**NOVEMBER, "company": "globex"}},
                               headers=globex_only)
        builds = app.state.report_cache.builds
    assert held and refused.status_code == 403 and refused.json()["result"] == "fail"
    assert allowed.status_code == 200 and allowed.json()["values"] == fresh(world, "incalls", "globex")
    assert builds == 2


async def test_a_new_leg_in_the_period_gives_the_new_report(store_url: str, world: Engine) -> None:
    key = key_for(world, "admin", {SYSTEM_ADMIN: []})
    rows = list(generate(parse_directory(DIRECTORY_YAML.read_text()), rows=40, seed=3,
                         start=datetime(2026, 11, 9, tzinfo=UTC), days=1))
    async with app_client(store_url, key) as (_app, c):
        before = {kind: await values(c, kind, NOVEMBER) for kind in ("incalls", "outcalls")}
        with world.begin() as conn:
            store_batch(conn, rows)
        after = {kind: await values(c, kind, NOVEMBER) for kind in ("incalls", "outcalls")}
    for kind in ("incalls", "outcalls"):
        assert after[kind] != before[kind]
        assert after[kind] == fresh(world, kind, "acme")


async def test_a_reprocess_gives_the_new_report(store_url: str, world: Engine) -> None:
    moved = carol_moved()
    with world.begin() as conn:
        versions.save(conn, moved, "test")
    key = key_for(world, "admin", {SYSTEM_ADMIN: []})
    scope = {**NOVEMBER, "company": "globex"}
    async with app_client(store_url, key) as (_app, c):
        before = await values(c, "incalls", scope)
        with world.connect() as conn:
            assert reprocess(conn).updated
        after = await values(c, "incalls", scope)
    assert "203" not in before and after["203"]["calls"]
    assert after == fresh(world, "incalls", "globex")


async def test_a_new_directory_version_gives_the_new_report(store_url: str, world: Engine) -> None:
    key = key_for(world, "admin", {SYSTEM_ADMIN: []})
    async with app_client(store_url, key) as (_app, c):
        before = await values(c, "incalls", NOVEMBER)
        with world.begin() as conn:
            versions.save(conn, DIRECTORY_YAML.read_text().replace("{name: Alice,", "{name: Alicia,"), "test")
        after = await values(c, "incalls", NOVEMBER)
    assert before["201"]["name"] == "Alice" and after["201"]["name"] == "Alicia"
    assert after == fresh(world, "incalls", "acme")


async def test_a_table_emptied_gives_the_new_report(store_url: str, world: Engine) -> None:
    # No change is noted when rows are deleted by hand: the newest acctid shows it.
    key = key_for(world, "admin", {SYSTEM_ADMIN: []})
    async with app_client(store_url, key) as (_app, c):
        before = await values(c, "outcalls", NOVEMBER)
        with world.begin() as conn:
            conn.execute(delete(cdr))
        after = await values(c, "outcalls", NOVEMBER)
    assert before and after == {} == fresh(world, "outcalls", "acme")


async def test_one_build_for_everyone_waiting_and_a_failure_is_not_kept() -> None:
    cache = ReportCache()
    release = asyncio.Event()
    started = 0

    async def build() -> bytes:
        nonlocal started
        started += 1
        await release.wait()
        return b"report"

    waiting = [asyncio.ensure_future(cache.get("k", 0, build)) for _ in range(ASKERS)]
    await asyncio.sleep(0)
    waiting[0].cancel()  # a client that goes away does not stop the build for the others
    release.set()
    answers = await asyncio.gather(*waiting[1:])
    assert started == 1 and answers == [b"report"] * (ASKERS - 1) and cache.size == (1, 6)

    async def broken() -> bytes:
        raise RuntimeError("store gone")

    for _ in range(2):
        with pytest.raises(RuntimeError):
            await cache.get("bad", 0, broken)
    assert cache.builds == 3 and cache.size == (1, 6)


async def test_the_cache_keeps_within_its_entries_and_bytes() -> None:
    cache = ReportCache(max_entries=2, max_bytes=10)

    async def body(size: int) -> bytes:
        return b"x" * size

    for k, size in (("a", 4), ("b", 4), ("c", 4)):
        await cache.get(k, 0, lambda size=size: body(size))
    assert cache.size == (2, 8)  # "a" dropped: three entries
    await cache.get("b", 0, lambda: body(4))  # held: no build, and now the most recent
    await cache.get("d", 0, lambda: body(6))
    assert cache.size == (2, 10)  # "c" dropped (least recently used): 14 bytes
    await cache.get("b", 0, lambda: body(4))
    assert cache.builds == 4  # "b" kept
    await cache.get("huge", 0, lambda: body(11))
    assert cache.size == (2, 10) and cache.builds == 5  # a body over the bound is answered, not kept


async def test_a_change_is_tabulated_again_only_on_the_days_it_touched(store_url: str, world: Engine) -> None:
    key = key_for(world, "admin", {SYSTEM_ADMIN: []})
    directory = parse_directory(DIRECTORY_YAML.read_text())
    ninth = list(generate(directory, rows=40, seed=5, start=datetime(2026, 11, 9, 10, tzinfo=UTC), days=1))
    december = list(generate(directory, rows=40, seed=6, start=datetime(2026, 12, 9, 10, tzinfo=UTC), days=1))
    async with app_client(store_url, key) as (app, c):
        before = await values(c, "outcalls", NOVEMBER)
        kept, reports = app.state.kept_days, app.state.report_cache
        assert kept.built == 30 and reports.builds == 1  # November's days, each once
        with world.begin() as conn:
            store_batch(conn, december)
        assert await values(c, "outcalls", NOVEMBER) == before
        assert kept.built == 30 and reports.builds == 1  # December's legs touch no leg November read
        with world.begin() as conn:
            store_batch(conn, ninth)
        after = await values(c, "outcalls", NOVEMBER)
        assert 31 <= kept.built <= 32 and reports.builds == 2  # the 9th (and the 10th, if a call ran past midnight)
    assert after != before and after == fresh(world, "outcalls", "acme")


async def test_a_body_is_answered_at_a_later_mark_only_when_nothing_it_read_changed() -> None:
    cache = ReportCache()
    made = 0

    async def build() -> bytes:
        nonlocal made
        made += 1
        return b"r%d" % made

    async def unchanged_since(expected: int, answer: bool) -> Any:
        async def check(since: int) -> bool:
            assert since == expected  # the mark the held body was last known good at
            return answer
        return check

    assert await cache.get("k", 1, build) == b"r1"
    assert await cache.get("k", 2, build, await unchanged_since(1, True)) == b"r1" and made == 1
    assert await cache.get("k", 3, build, await unchanged_since(2, False)) == b"r2" and made == 2
    assert await cache.get("k", 4, build) == b"r3"  # no check: another mark is another body


async def test_values_are_kept_by_the_size_they_are_said_to_take() -> None:
    cache = ReportCache(max_bytes=10, size=lambda value: value["size"])

    async def value(size: int) -> dict[str, int]:
        return {"size": size}

    await cache.get("a", 0, lambda: value(6))
    await cache.get("b", 0, lambda: value(4))
    assert cache.size == (2, 10)
    await cache.get("c", 0, lambda: value(3))
    assert cache.size == (2, 7)  # "a" dropped
