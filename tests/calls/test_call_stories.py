"""Calls built from the recorded runs match what each story's scenario.md says happened."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from calldata.calls.page import by_first_id
from calldata.store.calls import CallScope
from calldata.store.schema import cdr


def call_of(engine: Engine, uniqueid: str) -> dict[str, Any]:
    """The one call holding every leg of the recorded uniqueid (and no other call holds one)."""
    with engine.connect() as conn:
        acctids = set(conn.execute(select(cdr.c.acctid).where(cdr.c.uniqueid == uniqueid)).scalars())
        calls = by_first_id(conn, CallScope(), 10_000, ZoneInfo("UTC"))
    holding = [call for call in calls if acctids & set(call["legs"])]
    assert len(holding) == 1, holding
    assert acctids <= set(holding[0]["legs"])
    return holding[0]


def events(call: dict[str, Any]) -> list[tuple[str, ...]]:
    return [tuple(str(v) for k, v in e.items() if k != "acctid") for e in call["events"]]


def test_blind_transfer_is_one_call_with_its_transfer(world: Engine) -> None:
    # asterisk-real 13: 201 calls 202, Bob answers, blind-transfers to 203, Carol answers
    call = call_of(world, "1795917983.42")
    assert len(call["legs"]) == 2
    assert call["caller"] == {"number": "201", "company": "acme", "extension": "201"}
    assert call["dialled"] == "202"
    assert call["answered"] == {"extension": "202", "number": "202", "company": "acme"}
    assert call["outcome"] == "answered"
    assert events(call) == [("transfer", "202", "203")]
    assert (call["ring"], call["talk"]) == (2, 15)  # answered after 2 s; 4 s with Bob, 3 ringing, 8 with Carol
    assert (call["start"], call["end"]) == ("2026-11-29 02:06:23+00", "2026-11-29 02:06:40+00")


def test_park_and_retrieval_are_one_call(world: Engine) -> None:
    # asterisk-real 16: Bob parks Alice on 701, Carol retrieves her
    call = call_of(world, "1795918058.63")
    assert len(call["legs"]) == 4
    assert events(call) == [("park", "202", "701"), ("unpark", "203", "701")]
    assert call["outcome"] == "answered"


def test_directed_pickup_names_who_picked_up(world: Engine) -> None:
    # asterisk-real 25: 201 calls 202; 203 picks the call up with **202
    call = call_of(world, "1795918270.104")
    assert events(call) == [("pickup", "203", "202")]
    assert call["outcome"] == "answered"


def test_blonde_transfer_is_one_call_with_one_transfer(world: Engine) -> None:
    # asterisk-real-2 32: Bob starts an attended transfer to 203 and hangs up while it rings
    call = call_of(world, "1795965521.39")
    assert len(call["legs"]) == 6
    assert events(call) == [("transfer", "202", "203")]
    assert call["answered"]["extension"] == "202"
    assert call["talk"] == 23  # 15:18:43 answer to 15:19:06 end, hold and ringing included


@pytest.mark.parametrize(("uniqueid", "outcome"), [
    ("1795917796.3", "no answer"),  # 02: 203 does not answer (Dial row + Hangup row)
    ("1795917823.7", "busy"),  # 03: 202 busy
    ("1795917829.11", "failed"),  # 04: 203 unavailable
])
def test_a_failed_dial_is_one_call_with_its_outcome(world: Engine, uniqueid: str, outcome: str) -> None:
    call = call_of(world, uniqueid)
    assert len(call["legs"]) == 2
    assert call["outcome"] == outcome
    assert call["talk"] == 0 and call["answered"] is None
