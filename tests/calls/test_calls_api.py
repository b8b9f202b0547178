"""POST /rest/call/calls through the real app: paging, the change feed, company scoping, refusals."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from calldata.attribution import versions
from calldata.auth.permissions import BILLING_CALL_REPORTING, SYSTEM_ADMIN
from calldata.ingest.importer import import_file
from calldata.store.schema import cdr
from calls.calls_client import ask, client, feed, walk
from recordings import DIRECTORY_YAML, RUNS
from stored_world import key_for

pytestmark = pytest.mark.anyio


def stored_calls(engine: Engine) -> dict[str, set[int]]:
    with engine.connect() as conn:
        found: dict[str, set[int]] = {}
        for call, acctid in conn.execute(select(cdr.c.call, cdr.c.acctid)):
            found.setdefault(call, set()).add(acctid)
    return found


@pytest.mark.parametrize("max_rows", [1, 4, 500])
async def test_paging_walks_every_call_exactly_once(store_url: str, world: Engine, max_rows: int) -> None:
    key = key_for(world, "admin", {SYSTEM_ADMIN: []})
    async with client(store_url, key) as c:
        calls = await walk(c, max_rows)
    ids = [call["call"] for call in calls]
    assert len(ids) == len(set(ids))
    assert {call["call"]: set(call["legs"]) for call in calls} == stored_calls(world)
    firsts = [call["firstID"] for call in calls]
    assert firsts == sorted(firsts) and all(call["firstID"] == min(call["legs"]) for call in calls)


async def test_the_change_feed_reports_a_call_that_grew(store_url: str, engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        versions.save(conn, DIRECTORY_YAML.read_text(), str(DIRECTORY_YAML))
    master = RUNS[0] / "all" / "Master.csv"
    lines = master.read_text().splitlines(keepends=True)
    transfer = next(i for i, line in enumerate(lines) if '"IAX2/acme-203-7477"' in line)  # story 13's 2nd leg
    early = tmp_path / "early.csv"
    early.write_text("".join(lines[:transfer] + lines[transfer + 1:]))
    import_file(engine, early, UTC)
    key = key_for(engine, "admin", {SYSTEM_ADMIN: []})
    async with client(store_url, key) as c:
        first, seen = await feed(c, 0)
        assert {call["call"]: set(call["legs"]) for call in first} == stored_calls(engine)
        before = next(call for call in first if call["call"] == "1795917983.42")
        assert before["events"] == [] and len(before["legs"]) == 1
        assert (await feed(c, seen))[0] == []  # nothing new yet
        import_file(engine, master, UTC)  # only the transfer leg is new
        grown, after = await feed(c, seen)
    assert [call["call"] for call in grown] == ["1795917983.42"]
    assert len(grown[0]["legs"]) == 2 and grown[0]["events"][0]["type"] == "transfer"
    assert after == grown[0]["changed"] > seen


async def test_a_company_user_sees_only_calls_and_legs_of_its_company(store_url: str, world: Engine) -> None:
    # story 13's transfer leg made globex's (as if Bob had transferred Alice to another company's phone)
    with world.begin() as conn:
        conn.execute(update(cdr).where(cdr.c.dstchannel == "IAX2/acme-203-7477")
                     .values(company="globex", target="globex", bill_to=""))
        owners = {row.acctid: {row.company, row.target, row.bill_to}
                  for row in conn.execute(select(cdr.c.acctid, cdr.c.company, cdr.c.target, cdr.c.bill_to))}
    everything = stored_calls(world)
    for company in ("globex", "acme"):
        key = key_for(world, f"{company}_billing", {BILLING_CALL_REPORTING: [company]})
        async with client(store_url, key) as c:
            calls = await walk(c, 5)
            changed, _ = await feed(c, 0)
        visible = {acctid for acctid, names in owners.items() if company in names}
        assert calls and {acctid for call in calls for acctid in call["legs"]} == visible
        assert {acctid for call in changed for acctid in call["legs"]} == visible
        shared = next(call for call in calls if call["call"] == "1795917983.42")
        assert len(shared["legs"]) == 1 < len(everything["1795917983.42"])
        assert shared["firstID"] == min(everything["1795917983.42"])  # the cursor is the whole call's


@pytest.mark.parametrize(("body", "field"), [
    ({"scope": {"minID": -1}}, "scope.minID"),
    ({"scope": {"maxRows": 0}}, "scope.maxRows"),
    ({"scope": {"changed": "soon"}}, "scope.changed"),
    ({"scope": {"changed": 3, "minID": 2}}, "scope.minID"),
    ({"scope": {"changed": 3, "minDate": 2}}, "scope.minDate"),
    ({"scope": {"minDate": 5, "maxDate": 4}}, "scope.minDate"),
    ({"scope": {"calls": 1}}, "scope.calls"),
    ({"scope": []}, "scope"),
    ({"type": "call"}, "type"),
])
async def test_bad_requests_are_400_naming_the_field(store_url: str, engine: Engine, body: dict, field: str) -> None:
    key = key_for(engine, "admin", {SYSTEM_ADMIN: []})
    async with client(store_url, key) as c:
        r = await c.post("/rest/call/calls", json=body)
    assert r.status_code == 400
    assert r.json()["result"] == "fail" and r.json()["message"].startswith(f"{field}:")


async def test_a_user_without_read_permission_is_refused(store_url: str, engine: Engine) -> None:
    key = key_for(engine, "nobody", {})
    async with client(store_url, key) as c:
        status, answer = await ask(c, {})
    assert status == 403 and answer["result"] == "fail"
