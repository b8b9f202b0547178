"""Attended transfers in the variants Asterisk 22 writes, beyond the recorded ones (31 aborted,
32 blonde): completed, to an outside number, of an outside caller, aborted on a busy target.

Every variant has the recorded shape (docs/attribution.md, "Attended transfers"): the
transferrer's consultation to `Local/<exten>@acme-N;1`, the Local's `;2` dialling the target, the
transferee's leg to the transferrer ending as the consultation starts, then (completed) the
transferee's legs to `;1` and to the target. Only times and channels differ.
"""

from __future__ import annotations

from calldata.attribution.lookup import Lookup
from calldata.cdr import Cdr
from legs import leg, properties

ALICE, BOB, CAROL = "IAX2/acme-201-11", "IAX2/acme-202-22", "IAX2/acme-203-33"
CALLER, CARRIER_OUT = "IAX2/carrier1-44", "IAX2/carrier1-55"


def _attended(transferee: str, first_dst: str, dialled: str, target: str, *, lastdata: str = "",
              answered_at: int | None = 14, transferrer_leaves: int = 16) -> list[Cdr]:
    """transferee -> Bob (answered at 2); at 10 Bob consults `dialled`; the target answers at
    `answered_at` (None: never); Bob leaves at `transferrer_leaves` and the call goes on to 30."""
    local = f"Local/{dialled}@acme-0000000a"
    completed = answered_at is not None
    ends = transferrer_leaves if completed else 20
    rows = [
        leg(0, 10 if completed else 30, 2, channel=transferee, dstchannel=BOB, dst=first_dst, dcontext="acme",
            uniqueid="1.1", linkedid="1.1"),
        leg(10, ends, 10, channel=BOB, dstchannel=f"{local};1", dcontext="acme", src="202",
            uniqueid="1.2", linkedid="1.1"),
        leg(10, ends, answered_at, channel=f"{local};2", dstchannel=target, dst=dialled, dcontext="acme",
            lastapp="Dial", lastdata=lastdata, uniqueid="1.3", linkedid="1.1",
            disposition="ANSWERED" if completed else "BUSY"),
    ]
    if completed:
        rows += [
            leg(ends, ends, ends, channel=f"{local};1", dst=dialled, dcontext="acme", uniqueid="1.4", linkedid="1.1"),
            leg(10, ends, 10, channel=transferee, dstchannel=f"{local};1", dst=first_dst, dcontext="acme",
                uniqueid="1.1", linkedid="1.1"),
            leg(ends, 30, ends, channel=transferee, dstchannel=target, dst=first_dst, dcontext="acme",
                lastdata=lastdata, uniqueid="1.1", linkedid="1.1"),
        ]
    else:  # Bob back with the caller after the abort: his channel alone
        rows.append(leg(20, 30, 20, channel=BOB, dcontext="acme", src="202", uniqueid="1.2", linkedid="1.1"))
    return rows


def _column(rows: list[dict[str, object]], name: str) -> list[object]:
    return [row[name] for row in rows]


def test_completed_attended_transfer(world: Lookup) -> None:
    rows = properties(_attended(ALICE, "202", "203", CAROL), world)
    assert _column(rows, "xfer") == ["", "", "", "", "202", "202"]
    assert _column(rows, "dial_short") == ["202", "203", "203", "203", "203", "203"]
    assert _column(rows, "target") == ["acme"] * 6
    assert not any(_column(rows, "is_bounce"))


def test_attended_transfer_to_an_outside_number(world: Lookup) -> None:
    rows = properties(_attended(ALICE, "202", "07700900123", CARRIER_OUT, lastdata="IAX2/carrier1/07700900123,60"), world)
    dial, out = rows[2], rows[5]
    assert (dial["xfer"], dial["trunk"], dial["bill_to"], dial["target"]) == ("", "carrier1", "acme", "")
    assert (out["xfer"], out["trunk"], out["bill_to"], out["target"]) == ("202", "carrier1", "acme", "")
    assert (out["dial_short"], out["dial_full"]) == ("07700900123", "447700900123")
    assert not any(_column(rows, "is_bounce"))


def test_outside_caller_transferred_to_a_colleague(world: Lookup) -> None:
    rows = properties(_attended(CALLER, "441908276651", "203", CAROL), world)
    assert _column(rows, "xfer") == ["", "", "", "", "202", "202"]
    assert rows[5]["company"] == "" and rows[5]["target"] == "acme" and rows[5]["bill_to"] == ""


def test_outside_caller_transferred_out_again_is_billed_to_the_transferrer(world: Lookup) -> None:
    rows = properties(_attended(CALLER, "441908276651", "07700900123", CARRIER_OUT,
                                lastdata="IAX2/carrier1/07700900123,60"), world)
    out = rows[5]
    assert (out["company"], out["xfer"], out["trunk"], out["bill_to"]) == ("", "202", "carrier1", "acme")


def test_attended_transfer_aborted_on_a_busy_target(world: Lookup) -> None:
    rows = properties(_attended(ALICE, "202", "203", CAROL, answered_at=None), world)
    assert _column(rows, "xfer") == ["", "", "", ""]
    back = rows[3]  # Bob's channel alone after the abort
    assert (back["dial_short"], back["target"], back["is_bounce"]) == ("202", "acme", False)
