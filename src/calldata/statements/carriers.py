"""The carrier reconciliation: per trunk, the month's calls, minutes, what the carrier charges
(cost), what the companies are charged (price) and the margin between (pure, as build.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from calldata.rating.money import MAX_PRECISION, from_micros
from calldata.statements.build import minutes


class TrunkLeg(NamedTuple):
    """A leg out through a trunk: its amounts in millionths and their decks' decimals."""

    trunk: str
    billsec: int
    price: int | None
    currency: str | None
    price_precision: int | None
    cost: int | None
    cost_currency: str | None
    cost_precision: int | None


@dataclass(slots=True)
class Sums:
    """Millionths per currency, and the most decimals they were priced to."""

    micros: dict[str, int] = field(default_factory=dict)
    precision: dict[str, int] = field(default_factory=dict)

    def add(self, micros: int | None, currency: str | None, precision: int | None) -> None:
        if micros is None or not currency:
            return
        self.micros[currency] = self.micros.get(currency, 0) + micros
        places = MAX_PRECISION if precision is None else precision
        self.precision[currency] = max(self.precision.get(currency, 0), places)

    def shown(self) -> dict[str, Decimal]:
        return {currency: from_micros(self.micros[currency], self.precision[currency])
                for currency in sorted(self.micros)}


@dataclass(slots=True)
class Carrier:
    trunk: str
    calls: int = 0
    seconds: int = 0
    uncosted: int = 0  # calls without a cost (the trunk's buy deck has no row, or none is named)
    unpriced: int = 0  # calls without a price
    cost: Sums = field(default_factory=Sums)
    price: Sums = field(default_factory=Sums)

    @property
    def minutes(self) -> Decimal:
        return minutes(self.seconds)

    @property
    def margin(self) -> dict[str, Decimal]:
        """Price less cost per currency; none while a call lacks either (the difference would
        count a price against no cost) or when they are in different currencies (no exchange rates)."""
        cost, price = self.cost.shown(), self.price.shown()
        if self.uncosted or self.unpriced or set(cost) != set(price):
            return {}
        return {currency: price[currency] - cost[currency] for currency in price}


def carriers(legs: Iterable[TrunkLeg]) -> list[Carrier]:
    """One Carrier per trunk, by name."""
    found: dict[str, Carrier] = {}
    for leg in legs:
        carrier = found.get(leg.trunk)
        if carrier is None:
            carrier = found[leg.trunk] = Carrier(leg.trunk)
        carrier.calls += 1
        carrier.seconds += leg.billsec
        carrier.uncosted += leg.cost is None
        carrier.unpriced += leg.price is None
        carrier.cost.add(leg.cost, leg.cost_currency, leg.cost_precision)
        carrier.price.add(leg.price, leg.currency, leg.price_precision)
    return [found[trunk] for trunk in sorted(found)]
