"""Every `detail` text docs/api.md lists, from the properties attribution stored on a leg."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from calldata.attribution.directory import load_directory
from calldata.reports.detail import detail
from calldata.reports.incalls import incalls
from calldata.reports.query import Leg
from calldata.reports.roster import Roster
from recordings import DIRECTORY_YAML

T0 = int(datetime(2026, 11, 3, 9, 0, tzinfo=UTC).timestamp())  # a leg's instants are epoch seconds


def leg(acctid: int = 1, **changes: object) -> Leg:
    """Alice (201) calls Bob (202), answered after 4 s, 30 s talk."""
    base = Leg(acctid=acctid, calldate=T0, answer=T0 + 4, end=T0 + 34,
               src="201", dst="202", channel="PJSIP/acme-201-00000001", dstchannel="PJSIP/acme-202-00000002",
               lastapp="Dial", duration=34,
               billsec=30, disposition="ANSWERED", src_ext="201", dial_short="202", dial_full="202", trunk="",
               target="acme", xfer="", is_pick=False, is_bounce=False)
    return base._replace(**changes)


@pytest.mark.parametrize(("changes", "text"), [
    ({}, "Answered"),
    ({"disposition": "NOANSWER", "answer": None, "billsec": 0}, "Not answered"),
    ({"disposition": "BUSY"}, "Busy"),
    ({"disposition": "FAILED"}, "Failed"),
    ({"disposition": "CONGESTION"}, "Congestion"),
    ({"xfer": "203"}, "Answered (transfer from 203)"),
    ({"disposition": "BUSY", "xfer": "203"}, "Busy (transfer from 203)"),
    ({"is_pick": True}, "Answered (pickup of 202)"),
    ({"is_bounce": True}, "Answered (recall)"),
])
def test_outcome_and_how_the_call_came(changes: dict, text: str) -> None:
    assert detail(leg(**changes)) == text


def test_a_forward_and_a_pickup_name_the_extension_the_call_was_for() -> None:
    roster = Roster(load_directory(DIRECTORY_YAML))
    forwarded = leg(1, dial_short="203")  # dialled Carol, rang Bob: Carol forwards to Bob
    hunted = leg(2, dial_short="250", calldate=T0 + 60)  # a hunt group is no forward
    rung = leg(3, calldate=T0 + 120, end=T0 + 125, billsec=0)
    picked = leg(4, calldate=T0 + 125, dstchannel="PJSIP/acme-203-00000009", is_pick=True)
    values = incalls([forwarded, hunted, rung, picked], roster, "acme")
    assert [c["detail"] for c in values["202"]["calls"]] == ["Answered (forwarded from 203)", "Answered", "Picked up by 203"]
    assert [c["detail"] for c in values["203"]["calls"]] == ["Answered (pickup of 202)"]
    assert values["202"]["calls"][0]["ringtime"] == 4
