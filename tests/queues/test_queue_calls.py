"""/rest/call/calls with queue_log stored: an abandoned queue call is a missed call, `abandoned`,
and every call lists its callers' queue stays (the recorded stories 27, 29, 33)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from calldata.auth.permissions import BILLING_CALL_REPORTING, SYSTEM_ADMIN
from calls.calls_client import client, walk
from queue_world import RUN2, store_queue_log
from stored_world import key_for

pytestmark = pytest.mark.anyio


async def test_abandoned_queue_calls_are_missed_and_calls_show_their_queue_stays(store_url: str, world: Engine) -> None:
    admin = key_for(world, "admin", {SYSTEM_ADMIN: []})
    globex = key_for(world, "globex", {BILLING_CALL_REPORTING: ["globex"]})
    async with client(store_url, admin) as c:
        before = {call["call"]: call for call in await walk(c, 9)}
        store_queue_log(world, RUN2 / "all" / "queue_log")
        after = {call["call"]: call for call in await walk(c, 9)}
    async with client(store_url, globex) as c:
        theirs = await walk(c, 9)
    assert before["1795965356.0"]["outcome"] == "no answer"  # the CDRs alone: two members not answering
    shown = {call: (after[call]["outcome"], after[call]["queue"])
             for call in ("1795965356.0", "1795965407.10", "1795965551.50")}
    assert shown == {
        "1795965356.0": ("abandoned", [{"queue": "acme-support", "outcome": "abandon", "wait": 14}]),
        "1795965407.10": ("answered", [{"queue": "acme-support", "outcome": "timeout", "wait": 30}]),  # Alice, after
        "1795965551.50": ("answered", [{"queue": "acme-support", "outcome": "answered", "wait": 3}]),
    }
    for call, entry in after.items():
        if call not in shown:
            assert entry["queue"] == [] and entry == before[call]
    assert theirs and all(call["queue"] == [] for call in theirs)
