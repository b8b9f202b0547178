"""incalls' qtime and qstatus, and the abandoned call shown as missed, on the recorded queue stories;
a kept report is built again once queue events are stored (the store's generation)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from calldata.auth.permissions import SYSTEM_ADMIN
from queue_world import RUN2, store_queue_log
from reports.test_report_api import ask, client
from stored_world import key_for

pytestmark = pytest.mark.anyio
DAY = {"company": "acme", "year": 2026, "month": 11, "day": 29}
CALLERS = ("1795965356.0", "1795965407.10", "1795965551.50")  # stories 27, 29, 33


def queue_rows(values: dict[str, Any], uniqueids: dict[int, str]) -> list[tuple[str, str, str, str, str]]:
    """(caller's uniqueid, extension, qtime, qstatus, detail) of the stories' legs, in time order."""
    rows = [(call["calldate"], call["acctid"], uniqueids[call["acctid"]], ext, call["qtime"], call["qstatus"],
             call["detail"]) for ext, entry in values.items() for call in entry["calls"]]
    return [row[2:] for row in sorted(rows) if row[2] in CALLERS]


def acctids(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.exec_driver_sql("SELECT acctid, uniqueid FROM cdr").all())


async def test_legs_through_the_queue_say_how_long_the_caller_had_waited_and_how_it_ended(
        store_url: str, world: Engine) -> None:
    key = key_for(world, "admin", {SYSTEM_ADMIN: []})
    async with client(store_url, key) as c:
        _, before = await ask(c, "incalls", DAY)
        store_queue_log(world, RUN2 / "all" / "queue_log")
        _, after = await ask(c, "incalls", DAY)  # not the report kept from before: events were stored
    uniqueids = acctids(world)
    assert {row[2:4] for row in queue_rows(before["values"], uniqueids)} == {("", "")}
    assert queue_rows(after["values"], uniqueids) == [
        # 27: Bob rang from the start (the IVR's 2 s are before ENTERQUEUE), Carol 10 s after entry; both
        # legs of the abandoned call say so
        ("1795965356.0", "202", "0", "abandon", "Not answered (abandoned in queue after 14 s)"),
        ("1795965356.0", "203", "10", "abandon", "Not answered (abandoned in queue after 14 s)"),
        # 29: three attempts 10 s apart, then the overflow to Alice after the 30 s timeout
        ("1795965407.10", "202", "0", "timeout", "Not answered"),
        ("1795965407.10", "203", "10", "timeout", "Not answered"),
        ("1795965407.10", "202", "20", "timeout", "Not answered"),
        ("1795965407.10", "201", "30", "timeout", "Answered"),
        # 33: Alice's leg came before the queue she transferred the caller to; Bob busy, Carol answers at once
        ("1795965551.50", "201", "", "", "Answered"),
        ("1795965551.50", "202", "0", "answered", "Busy (transfer from 201)"),
        ("1795965551.50", "203", "0", "answered", "Answered (transfer from 201)"),
    ]
    others = [call for entry in after["values"].values() for call in entry["calls"] if uniqueids[call["acctid"]] not in CALLERS]
    assert others and all(call["qtime"] == call["qstatus"] == "" for call in others)
