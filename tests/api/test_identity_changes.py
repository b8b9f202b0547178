"""A change to a key or its owner's grants counts from the very next /rest/call/read, read-ahead or not.

Here on PostgreSQL the key cache is off (CALLDATA_KEY_CACHE=false): with it on, a change counts
once its notice arrives, which tests/api/test_key_notify.py checks.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from api_helpers import Connect, cdr, issue_key, set_columns, store_rows
from calldata.auth import audit, keys, users
from calldata.auth.permissions import BILLING_CALL_SUMMARY

pytestmark = pytest.mark.anyio

COMPANIES = ["acme", "globex"]


def companies_seen(page: dict) -> set[str]:
    return {row["properties"]["company"] for row in page["values"]}


async def test_grant_and_key_changes_apply_to_the_next_request(connect: Connect, engine: Engine) -> None:
    ids = store_rows(engine, [cdr(i) for i in range(12)])
    for n, acctid in enumerate(ids):
        set_columns(engine, acctid, company=COMPANIES[n % 2], target="", bill_to="")
    key = issue_key(engine, "reader", companies=COMPANIES)
    scope = {"minID": ids[0], "maxRows": 2}
    async with connect(key_cache=False) as client:
        headers = {"authorization": f"Bearer {key}"}
        first = (await client.post("/rest/call/read", json={"scope": scope}, headers=headers)).json()
        assert companies_seen(first) == {"acme", "globex"}  # a full page: the next one is read ahead

        with engine.begin() as conn:
            users.revoke(conn, "reader", BILLING_CALL_SUMMARY, ["globex"], actor="t")
        after = {"minID": first["values"][-1]["acctid"] + 1, "maxRows": 2}
        narrowed = (await client.post("/rest/call/read", json={"scope": after}, headers=headers)).json()
        assert narrowed["numRows"] == 2 and companies_seen(narrowed) == {"acme"}

        with engine.begin() as conn:
            users.grant(conn, "reader", BILLING_CALL_SUMMARY, actor="t")  # system-wide
        widened = (await client.post("/rest/call/read", json={"scope": scope}, headers=headers)).json()
        assert companies_seen(widened) == {"acme", "globex"}

        with engine.begin() as conn:
            [reader_key] = keys.listing(conn, "reader")
            keys.revoke(conn, reader_key["id"], actor="t")
        refused = await client.post("/rest/call/read", json={"scope": scope}, headers=headers)
        assert refused.status_code == 401 and refused.json()["result"] == "fail"


async def test_key_use_through_the_api_is_written_down_once_a_minute(connect: Connect, engine: Engine) -> None:
    key = issue_key(engine, "reader")
    async with connect() as client:
        headers = {"authorization": f"Bearer {key}"}
        for _ in range(3):
            assert (await client.post("/rest/call/read", json={}, headers=headers)).status_code == 200
    with engine.connect() as conn:
        [listed] = keys.listing(conn, "reader")
        used = [e for e in audit.listing(conn, "reader") if e["event"] == audit.KEY_USED]
    assert listed["last_used_at"] is not None
    assert len(used) == 1 and used[0]["detail"].startswith(f"key {listed['id']} {listed['prefix']}")
