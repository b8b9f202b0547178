"""A report in one line per extension (incalls) or device (outcalls): what a reader scans before its calls.

Counted from the report's own values (reports.build.tabulate), so a line always agrees with the
calls listed under it and with the CSV.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

ANSWERED = "Answered"  # reports.detail.OUTCOMES: a call's detail starts with its outcome


class Line(NamedTuple):
    """One extension's or device's calls: how many, answered, seconds rung and billed, what they cost."""

    key: str
    name: str
    calls: int
    answered: int
    ring: int  # seconds, summed (incalls; outcalls have none)
    billsecs: int
    cost: dict[str, Decimal]  # currency -> the priced calls' sum (outcalls)

    @property
    def missed(self) -> int:
        return self.calls - self.answered


def lines(values: Mapping[str, Any]) -> list[Line]:
    """A line per key of the report, in the report's order."""
    return [line(key, entry) for key, entry in values.items()]


def line(key: str, entry: Mapping[str, Any]) -> Line:
    """The line of one extension or device from its calls."""
    calls = entry["calls"]
    cost: dict[str, Decimal] = {}
    for call in calls:
        if "cost" in call:
            cost[call["currency"]] = cost.get(call["currency"], Decimal(0)) + Decimal(call["cost"])
    return Line(key, entry.get("name") or "", len(calls), sum(call["detail"].startswith(ANSWERED) for call in calls),
                sum(call.get("ringtime", 0) for call in calls), sum(call["billsecs"] for call in calls), cost)


def total(each: Iterable[Line]) -> Line:
    """Every line added up (amounts per currency: a sum across currencies would mean nothing)."""
    calls = answered = ring = billsecs = 0
    cost: dict[str, Decimal] = {}
    for one in each:
        calls, answered, ring, billsecs = calls + one.calls, answered + one.answered, ring + one.ring, billsecs + one.billsecs
        for currency, amount in one.cost.items():
            cost[currency] = cost.get(currency, Decimal(0)) + amount
    return Line("", "", calls, answered, ring, billsecs, cost)
