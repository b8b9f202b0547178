"""incalls and outcalls over the recorded runs say what each story's scenario.md says happened."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from calldata.reports.build import report
from calldata.reports.request import ReportRequest
from calldata.store.schema import cdr
from stored_world import acctid_of

NOVEMBER = ReportRequest(("acme",), 2026, 11)


def calls(values: dict[str, Any], key: str) -> dict[int, dict[str, Any]]:
    return {call["acctid"]: call for call in values[key]["calls"]}


def has(call: dict[str, Any], expected: dict[str, Any]) -> bool:
    return call.items() >= expected.items()


@pytest.fixture
def acme(world: Engine) -> dict[str, dict[str, Any]]:
    with world.connect() as conn:
        return {kind: report(conn, kind, NOVEMBER, "UTC") for kind in ("incalls", "outcalls")}


def test_an_internal_call_counts_in_for_the_called_and_out_for_the_caller(world: Engine, acme) -> None:
    # 01: Alice (201) dials 202; Bob answers after 3 s ring, they talk 10 s
    (leg,) = acctid_of(world, "1795917777.0")
    incall = calls(acme["incalls"], "202")[leg]
    assert acme["incalls"]["202"]["name"] == "Bob"
    assert incall == {"acctid": leg, "calldate": 1795917777, "caller": "201", "type": "Internal", "ringtime": 3,
                      "billsecs": 10, "detail": "Answered", "qtime": "", "qstatus": ""}
    device = acme["outcalls"]["IAX2/acme-201"]
    assert (device["name"], device["device"], device["extension"]) == ("Alice", "IAX2/acme-201", "201")
    assert calls(acme["outcalls"], "IAX2/acme-201")[leg] == {
        "acctid": leg, "calldate": 1795917777, "dialled": "202", "dial_short": "202", "type": "Internal",
        "trunk": "", "duration": 13, "billsecs": 10, "detail": "Answered"}


def test_no_answer_busy_and_failed(world: Engine, acme) -> None:
    (no_answer,) = acctid_of(world, "1795917796.3", "IAX2/acme-203")  # 02: rings 20 s, nobody answers
    assert has(calls(acme["incalls"], "203")[no_answer], {"detail": "Not answered", "ringtime": 20, "billsecs": 0})
    (busy,) = acctid_of(world, "1795917823.7", "IAX2/acme-202")  # 03: Bob's phone returns busy
    assert calls(acme["incalls"], "202")[busy]["detail"] == "Busy"
    assert calls(acme["outcalls"], "IAX2/acme-201")[busy]["detail"] == "Busy"


def test_a_blind_transfer_is_named_on_the_leg_it_made(world: Engine, acme) -> None:
    # 13: Alice calls 202, Bob blind-transfers her to 203, Carol answers
    to_bob, to_carol = acctid_of(world, "1795917983.42")
    assert calls(acme["incalls"], "202")[to_bob]["detail"] == "Answered"
    assert calls(acme["incalls"], "203")[to_carol]["detail"] == "Answered (transfer from 202)"
    # 45 (PJSIP): an outside caller to Alice, who transfers it to Carol by phone
    to_alice, to_carol = acctid_of(world, "1795968207.20")
    assert has(calls(acme["incalls"], "203")[to_carol], {"type": "External", "detail": "Answered (transfer from 201)"})
    assert calls(acme["incalls"], "201")[to_alice]["detail"] == "Answered"


def test_a_pickup_says_who_took_the_call_and_is_no_call_placed(world: Engine, acme) -> None:
    # 25: Alice dials 202, Bob's phone rings 5 s, Carol picks it up with **202
    legs = acctid_of(world, "1795918270.104")
    rung, picked = legs
    assert has(calls(acme["incalls"], "202")[rung], {"detail": "Picked up by 203", "ringtime": 5})
    assert calls(acme["incalls"], "203")[picked]["detail"] == "Answered (pickup of 202)"
    (record,) = acctid_of(world, "1795918270.105")  # Asterisk's pickup record on Bob's channel
    assert all(record not in calls(acme["outcalls"], device) for device in acme["outcalls"])


def test_a_hunt_group_counts_for_each_member_rung(world: Engine, acme) -> None:
    # 37: an outside caller to hunt group 250: Alice busy at once, Bob answers after 3 s
    alice, bob = acctid_of(world, "1795965661.74", "IAX2/acme-201") + acctid_of(world, "1795965661.74", "IAX2/acme-202")
    assert has(calls(acme["incalls"], "201")[alice], {"detail": "Busy", "type": "External", "caller": "07700900017"})
    assert has(calls(acme["incalls"], "202")[bob], {"detail": "Answered", "ringtime": 3, "billsecs": 8})


def test_an_external_call_out_has_its_trunk_and_no_cost_yet(world: Engine, acme) -> None:
    # 05: Bob dials 01632960123 out of carrier1
    (leg,) = acctid_of(world, "1795917835.15")
    call = calls(acme["outcalls"], "IAX2/acme-202")[leg]
    assert has(call, {"dialled": "441632960123", "dial_short": "01632960123", "type": "External", "trunk": "carrier1"})
    assert not {"cost", "currency", "destination"} & set(call)
    totals = acme["outcalls"]["IAX2/acme-202"]["totals"]
    device_calls = acme["outcalls"]["IAX2/acme-202"]["calls"]
    assert totals == {"calls": len(device_calls), "billsecs": sum(c["billsecs"] for c in device_calls)}


def test_each_company_sees_only_its_own_extensions(world: Engine) -> None:
    # 22: Globex Homer (201) calls Marge (202); Acme has a 201 too
    (leg,) = acctid_of(world, "1795918222.94")
    with world.connect() as conn:
        globex = report(conn, "incalls", ReportRequest(("globex",), 2026, 11), "UTC")
        both = report(conn, "incalls", ReportRequest(("acme", "globex"), 2026, 11), "UTC")
    assert globex["202"]["name"] == "Marge" and leg in calls(globex, "202")
    assert set(both) == {f"acme/{k}" for k in ("201", "202", "203")} | {f"globex/{k}" for k in globex}
    assert calls(both, "globex/202") == calls(globex, "202")



@pytest.mark.parametrize("uniqueid", ["1795917796.3", "1795917823.7", "1795917829.11"])
def test_a_failed_dial_is_one_call_not_two(world: Engine, acme, uniqueid: str) -> None:
    # 02-04: a failed Dial writes its row and a zero-length `Hangup` row of the same channel
    legs = set(acctid_of(world, uniqueid))
    assert len(legs) == 2
    placed = [acctid for acctid in calls(acme["outcalls"], "IAX2/acme-201") if acctid in legs]
    rung = [acctid for ext in acme["incalls"] for acctid in calls(acme["incalls"], ext) if acctid in legs]
    assert len(placed) == 1 and len(rung) <= 1


def test_the_transferrer_back_with_the_caller_places_no_call(world: Engine, acme) -> None:
    # 31 (run 2): Bob consults 203 (a call he placed), aborts, and is back with Alice: that last
    # row of his channel alone is the rest of Alice's call, not a call of Bob's
    consultation, back = acctid_of(world, "1795965498.31")
    placed = calls(acme["outcalls"], "IAX2/acme-202")
    assert consultation in placed and back not in placed
    assert placed[consultation]["dial_short"] == "203"


def test_a_parked_call_is_answered_where_it_is_retrieved(world: Engine, acme) -> None:
    # 16: Alice calls Bob (rings 2 s, 4 s talk); Bob parks her on 701; Carol retrieves her (7 s)
    to_bob, park_record, to_carol = acctid_of(world, "1795918058.63")
    assert has(calls(acme["incalls"], "202")[to_bob], {"detail": "Answered", "ringtime": 2, "billsecs": 4})
    assert has(calls(acme["incalls"], "203")[to_carol], {"billsecs": 7, "caller": "201"})
    assert park_record not in calls(acme["outcalls"], "IAX2/acme-201")  # Alice was parked, she placed nothing


def test_queue_ring_attempts_each_count_and_talk_only_when_answered(world: Engine, acme) -> None:
    # 29 (run 2): IVR -> queue 270: Bob rings 10 s, Carol 8 s, Bob again 8 s, none answers; after
    # the queue's timeout the caller goes on to Alice, who answers
    bob_1, carol, bob_2, alice = acctid_of(world, "1795965407.10")
    bob = calls(acme["incalls"], "202")
    assert has(bob[bob_1], {"detail": "Not answered", "ringtime": 10, "billsecs": 0, "type": "External"})
    assert has(bob[bob_2], {"detail": "Not answered", "ringtime": 8, "billsecs": 0})
    assert has(calls(acme["incalls"], "203")[carol], {"detail": "Not answered", "ringtime": 8, "billsecs": 0})
    assert calls(acme["incalls"], "201")[alice]["detail"] == "Answered"
    # 33 (run 2): Alice blind-transfers an outside caller into the queue: Bob busy, Carol answers
    _alice, busy, answered = acctid_of(world, "1795965551.50")
    assert calls(acme["incalls"], "202")[busy]["detail"] == "Busy (transfer from 201)"
    assert calls(acme["incalls"], "203")[answered]["detail"] == "Answered (transfer from 201)"


def test_a_dial_in_through_disa_is_no_extensions_call(world: Engine, acme) -> None:
    # 19: an outside caller authenticates with DISA code 1234 (Acme's) and dials out again: no
    # Acme phone placed or received it (the leg is billed to Acme: bill_to, for rating)
    (leg,) = acctid_of(world, "1795918153.82")
    assert all(leg not in calls(acme[kind], key) for kind in acme for key in acme[kind])
    with world.connect() as conn:
        assert conn.execute(select(cdr.c.bill_to).where(cdr.c.acctid == leg)).scalar_one() == "acme"
