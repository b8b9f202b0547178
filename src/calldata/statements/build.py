"""A company's monthly statement from its legs (pure: the legs come in, the statement goes out).

Amounts stay in whole millionths (the store's form) until shown, so every total is exactly the
sum of the legs' prices, as the billing client would add them; each currency is summed apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from calldata.rating.money import MAX_PRECISION, from_micros
from calldata.rating.rater import UNRATED

FORWARDED = "(forwarded)"  # a leg billed to the company with no extension of its own to list it under
NOT_NAMED = "(no destination)"


class BilledLeg(NamedTuple):
    """A leg billed to the company (bill_to), as the statement needs it."""

    extension: str  # whose call it is (statements.query.caller_extension)
    billsec: int
    rating: str | None  # NULL: not rated yet; "" not a rated leg; rated / unrated
    price: int | None  # millionths of `currency`
    currency: str | None
    destination: str | None
    precision: int | None  # decimals of the sell deck that priced it


def minutes(seconds: int) -> Decimal:
    """Billed seconds (Asterisk's billsec) as minutes, to the hundredth."""
    return (Decimal(seconds) / 60).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(slots=True)
class Line:
    """Calls, billed seconds and the amount (millionths) of one destination or extension in one currency."""

    key: str
    currency: str
    calls: int = 0
    seconds: int = 0
    micros: int = 0
    precision: int = 0

    def add(self, leg: BilledLeg) -> None:
        assert leg.price is not None
        self.calls += 1
        self.seconds += leg.billsec
        self.micros += leg.price
        self.precision = max(self.precision, MAX_PRECISION if leg.precision is None else leg.precision)

    @property
    def minutes(self) -> Decimal:
        return minutes(self.seconds)

    @property
    def amount(self) -> Decimal:
        """The exact sum, shown with the most decimals any of its legs was priced to."""
        return from_micros(self.micros, self.precision)


@dataclass(slots=True)
class Unpriced:
    """Calls that should carry a price and do not: no deck row for the number, or not rated yet."""

    calls: int = 0
    seconds: int = 0

    @property
    def minutes(self) -> Decimal:
        return minutes(self.seconds)


@dataclass(slots=True)
class Statement:
    company: str
    name: str
    month: str  # YYYY-MM
    zone: str
    start: datetime  # the month in the company's zone, as UTC instants [start, end)
    end: datetime
    destinations: list[Line] = field(default_factory=list)
    extensions: list[Line] = field(default_factory=list)
    totals: list[Line] = field(default_factory=list)  # one per currency
    unpriced: Unpriced = field(default_factory=Unpriced)
    names: dict[str, str] = field(default_factory=dict)  # extension -> its name in the directory


def needs_price(leg: BilledLeg) -> bool:
    """A leg rating found no price for (UNRATED), or one never looked at (rating NULL: the query
    keeps only answered legs out through a trunk, the ones rating prices)."""
    return leg.price is None and (leg.rating is None or leg.rating == UNRATED)


def grouped(legs: Iterable[BilledLeg], key: str) -> list[Line]:
    """The priced legs summed per (`key` attribute, currency), by amount, largest first."""
    lines: dict[tuple[str, str], Line] = {}
    for leg in legs:
        if leg.price is None or not leg.currency:
            continue
        name = getattr(leg, key) or (NOT_NAMED if key == "destination" else FORWARDED)
        line = lines.get((name, leg.currency))
        if line is None:
            line = lines[(name, leg.currency)] = Line(name, leg.currency)
        line.add(leg)
    return sorted(lines.values(), key=lambda line: (line.currency, -line.micros, line.key))


def statement(company: str, name: str, month: str, zone: str, start: datetime, end: datetime,
              legs: Sequence[BilledLeg], names: dict[str, str] | None = None) -> Statement:
    """The statement of `legs` (every leg billed to `company` that started in the month)."""
    built = Statement(company, name, month, zone, start, end, grouped(legs, "destination"),
                      grouped(legs, "extension"), names=names or {})
    totals: dict[str, Line] = {}
    for leg in legs:
        if leg.price is not None and leg.currency:
            totals.setdefault(leg.currency, Line("total", leg.currency)).add(leg)
        elif needs_price(leg):
            built.unpriced.calls += 1
            built.unpriced.seconds += leg.billsec
    built.totals = [totals[currency] for currency in sorted(totals)]
    return built
