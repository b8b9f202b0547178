"""THE rating decision: which deck rows price a leg, and what the payer and the carrier charge.

Pure: the decks and who uses which come in as data (`Plan`), a leg's decided properties come in
as plain values, a `Rating` goes out. Rated: an answered leg that leaves through a trunk
(`bill_to` set). Its price comes from the payer's sell deck, its cost from the trunk's buy deck;
a side whose deck has no prefix for the number stays None (unrated), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from calldata.rating.bands import Peak, band_at
from calldata.rating.deck import DeckRow
from calldata.rating.money import amount, to_micros
from calldata.rating.prefixes import PrefixTable

RATED, UNRATED = "rated", "unrated"


class DeckVersion(NamedTuple):
    """One loaded version of a named deck (rate_deck row) with its rows compiled for lookup."""

    id: int
    name: str
    version: int
    currency: str
    precision: int
    valid_from: date | None  # None: since always (a deck's first version, unless told otherwise)
    peak: Peak
    table: PrefixTable


class Plan(NamedTuple):
    """Who uses which deck (from the directory): sell deck per company, default, buy deck per trunk."""

    zone: ZoneInfo
    default_sell: str | None
    sell: Mapping[str, str]
    buy: Mapping[str, str]


class Rating(NamedTuple):
    """What rating stored on a leg; amounts in millionths of their currency."""

    rating: str  # "": not a rated leg; RATED: both sides priced; UNRATED: a side has no price
    price: int | None
    currency: str | None
    cost: int | None
    cost_currency: str | None
    destination: str | None
    destination_kind: str | None
    sell_deck: int | None  # the rate_deck (one version of a named deck) that priced it
    buy_deck: int | None


NOT_RATED = Rating("", None, None, None, None, None, None, None, None)


class Rater:
    """The decks in force, by name, each name's versions newest validity first."""

    def __init__(self, decks: Iterable[DeckVersion], plan: Plan) -> None:
        versions: dict[str, list[DeckVersion]] = {}
        for deck in decks:
            versions.setdefault(deck.name, []).append(deck)
        for found in versions.values():
            found.sort(key=lambda d: (d.valid_from or date.min, d.version), reverse=True)
        self._versions = versions
        self.plan = plan

    def deck_names(self) -> list[str]:
        return sorted(self._versions)

    def version(self, name: str | None, day: date) -> DeckVersion | None:
        """The version of deck `name` in force on `day`: the latest validity on or before it."""
        for deck in self._versions.get(name or "", ()):
            if deck.valid_from is None or deck.valid_from <= day:
                return deck
        return None

    def find(self, name: str | None, number: str, when: datetime) -> tuple[DeckVersion, DeckRow] | None:
        """The deck version and row pricing `number` at `when` (aware) in deck `name`."""
        local = when.astimezone(self.plan.zone)
        deck = self.version(name, local.date())
        if deck is None:
            return None
        row = deck.table.find(number, local.date(), band_at(local, deck.peak))
        return None if row is None else (deck, row)

    def sell_deck_of(self, company: str) -> str | None:
        return self.plan.sell.get(company, self.plan.default_sell)

    def rate(self, answer: datetime | None, billsec: int, disposition: str, bill_to: str | None,
             trunk: str | None, number: str | None) -> Rating:
        """The leg's rating; NOT_RATED unless it was answered and left through a trunk."""
        if not bill_to or not trunk or answer is None or disposition != "ANSWERED":
            return NOT_RATED
        digits = number if number and number.isdigit() else ""
        sold = self.find(self.sell_deck_of(bill_to), digits, answer) if digits else None
        bought = self.find(self.plan.buy.get(trunk), digits, answer) if digits else None
        price = currency = cost = cost_currency = None
        if sold is not None:
            deck, row = sold
            price = to_micros(amount(billsec, row.rate, row.connection, row.minimum, row.increment, deck.precision))
            currency = deck.currency
        if bought is not None:
            deck, row = bought
            cost = to_micros(amount(billsec, row.rate, row.connection, row.minimum, row.increment, deck.precision))
            cost_currency = deck.currency
        named = sold or bought
        return Rating(
            RATED if sold and bought else UNRATED, price, currency, cost, cost_currency,
            named[1].destination if named else None, named[1].kind if named else None,
            sold[0].id if sold else None, bought[0].id if bought else None,
        )
