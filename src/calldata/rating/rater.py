"""THE rating decision: which deck rows price a leg, and what the payer and the carrier charge.

Pure: the decks and who uses which come in as data (`Plan`), a leg's decided properties come in
as plain values, a `Rating` goes out. Rated: an answered leg that leaves through a trunk
(`bill_to` set). Its price comes from the payer's sell deck, its cost from the trunk's buy deck;
a side whose deck has no prefix for the number stays None (unrated), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from calldata.rating.bands import Peak, band_at
from calldata.rating.deck import DeckRow
from calldata.rating.money import Terms, micros, terms
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
NO_NUMBER = Rating(UNRATED, None, None, None, None, None, None, None, None)  # no digits to look up
_ZERO = timedelta(0)


_CACHED = 100_000  # number heads kept per deck version before the cache starts again
_Head = tuple["tuple[DeckRow, Terms] | None", "list[tuple[DeckRow, Terms]]"]
_NONE: dict[str, _Head] = {}


class Rater:
    """The decks in force, by name, each name's versions newest validity first.

    Per leg it converts the answer to the PBX zone once (not at all when both are UTC), and
    keeps, per deck version, the candidate rows of each number head (the digits as long as
    the deck's longest prefix) with their amounts' integer terms, so a repeated destination
    costs one dict probe instead of a probe per prefix length and Decimal arithmetic.
    """

    def __init__(self, decks: Iterable[DeckVersion], plan: Plan) -> None:
        versions: dict[str, list[DeckVersion]] = {}
        for deck in decks:
            versions.setdefault(deck.name, []).append(deck)
        for found in versions.values():
            found.sort(key=lambda d: (d.valid_from or date.min, d.version), reverse=True)
        self._versions = versions
        # a name whose newest version is valid since always has no other in force: no search
        self._always = {name: found[0] for name, found in versions.items() if found[0].valid_from is None}
        self._heads: dict[int, dict[str, _Head]] = {}
        self._utc = plan.zone.key in ("UTC", "Etc/UTC")
        self.plan = plan

    def deck_names(self) -> list[str]:
        return sorted(self._versions)

    def version(self, name: str | None, day: date) -> DeckVersion | None:
        """The version of deck `name` in force on `day`: the latest validity on or before it."""
        for deck in self._versions.get(name or "", ()):
            if deck.valid_from is None or deck.valid_from <= day:
                return deck
        return None

    def local(self, when: datetime) -> datetime:
        """`when` (aware) in the PBX zone."""
        return when if self._utc and when.utcoffset() == _ZERO else when.astimezone(self.plan.zone)

    def find(self, name: str | None, number: str, when: datetime) -> tuple[DeckVersion, DeckRow] | None:
        """The deck version and row pricing `number` at `when` (aware) in deck `name`."""
        local = self.local(when)
        found = self._pick(name, number, local, local.date())
        return None if found is None else (found[0], found[1])

    def _candidates(self, deck: DeckVersion, head: str) -> _Head:
        """The candidate rows of a number head in deck version `deck` with their terms; and the
        first of them when it holds whatever the day and band (no validity, any time)."""
        heads = self._heads.get(deck.id)
        if heads is None:
            heads = self._heads[deck.id] = {}
        elif len(heads) >= _CACHED:
            heads.clear()
        rows = [(row, terms(row.rate, row.connection, deck.precision)) for row in deck.table.candidates(head)]
        fixed = rows[0] if rows and rows[0][0].valid_from is None and not rows[0][0].band else None
        found = heads[head] = (fixed, rows)
        return found

    def _pick(self, name: str | None, number: str, local: datetime, day: date
              ) -> tuple[DeckVersion, DeckRow, Terms] | None:
        """The deck version in force on `day`, the row pricing `number` at `local`, its terms."""
        deck = self._always.get(name) if name else None
        if deck is None:
            deck = self.version(name, day)
            if deck is None:
                return None
        head = number[:deck.table.longest]
        found = self._heads.get(deck.id, _NONE).get(head) or self._candidates(deck, head)
        fixed, rows = found
        if fixed is not None:
            return deck, fixed[0], fixed[1]
        band = band_at(local, deck.peak)
        for row, row_terms in rows:
            if (row.valid_from is None or row.valid_from <= day) and (not row.band or row.band == band):
                return deck, row, row_terms
        return None

    def sell_deck_of(self, company: str) -> str | None:
        return self.plan.sell.get(company, self.plan.default_sell)

    def rate(self, answer: datetime | None, billsec: int, disposition: str, bill_to: str | None,
             trunk: str | None, number: str | None) -> Rating:
        """The leg's rating; NOT_RATED unless it was answered and left through a trunk."""
        if not bill_to or not trunk or answer is None or disposition != "ANSWERED":
            return NOT_RATED
        if not number or not number.isdigit():
            return NO_NUMBER
        local = self.local(answer)
        day = local.date()
        plan = self.plan
        sold = self._pick(plan.sell.get(bill_to, plan.default_sell), number, local, day)
        bought = self._pick(plan.buy.get(trunk), number, local, day)
        price = currency = cost = cost_currency = None
        if sold is not None:
            deck, row, row_terms = sold
            price = micros(billsec, row.minimum, row.increment, row_terms)
            currency = deck.currency
        if bought is not None:
            deck, row, row_terms = bought
            cost = micros(billsec, row.minimum, row.increment, row_terms)
            cost_currency = deck.currency
        named = sold or bought
        return Rating(
            RATED if sold and bought else UNRATED, price, currency, cost, cost_currency,
            named[1].destination if named else None, named[1].kind if named else None,
            sold[0].id if sold else None, bought[0].id if bought else None,
        )
