"""reports.summary: a line per key counted from the report's calls, totals per currency."""

from __future__ import annotations

from decimal import Decimal

from calldata.reports.summary import lines, total


def _call(detail: str, billsecs: int, **more: object) -> dict[str, object]:
    return {"detail": detail, "billsecs": billsecs, **more}


def test_a_line_counts_its_calls_and_the_total_keeps_currencies_apart() -> None:
    values = {
        "IAX2/acme-201": {"name": "Alice", "calls": [
            _call("Answered", 30, cost="0.0200", currency="GBP"),
            _call("Answered (transfer from 202)", 10, cost="0.0150", currency="GBP"),
            _call("Not answered", 0),
            _call("Busy", 0),
        ]},
        "IAX2/acme-202": {"name": "Bob", "calls": [_call("Answered", 5, cost="1.5", currency="EUR")]},
        "IAX2/acme-203": {"name": None, "calls": []},
    }
    alice, bob, carol = lines(values)
    assert (alice.key, alice.name, alice.calls, alice.answered, alice.missed, alice.billsecs) == (
        "IAX2/acme-201", "Alice", 4, 2, 2, 40)
    assert alice.cost == {"GBP": Decimal("0.0350")}
    assert (bob.calls, bob.answered, bob.cost) == (1, 1, {"EUR": Decimal("1.5")})
    assert (carol.name, carol.calls, carol.missed, carol.cost) == ("", 0, 0, {})
    every = total([alice, bob, carol])
    assert (every.calls, every.answered, every.missed, every.billsecs) == (5, 3, 2, 45)
    assert every.cost == {"GBP": Decimal("0.0350"), "EUR": Decimal("1.5")}


def test_incalls_ring_is_summed_and_a_pickup_is_not_the_rung_extensions_answer() -> None:
    values = {"202": {"name": "Bob", "calls": [
        _call("Answered", 12, ringtime=4), _call("Picked up by 203", 0, ringtime=9), _call("Not answered", 0, ringtime=20),
    ]}}
    [bob] = lines(values)
    assert (bob.calls, bob.answered, bob.missed, bob.ring, bob.billsecs) == (3, 1, 2, 33, 12)
