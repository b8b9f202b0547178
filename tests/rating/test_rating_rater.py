"""The Rater's fast paths (integer amounts, cached number heads, no zone conversion in UTC) decide
exactly what the plain rule decides: Decimal amounts, a longest-prefix search per leg, the answer
converted to the PBX zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from calldata.rating.bands import band_at, parse_peak
from calldata.rating.deck import DeckRow
from calldata.rating.money import amount, micros, terms, to_micros
from calldata.rating.prefixes import PrefixTable
from calldata.rating.rater import NOT_RATED, RATED, UNRATED, DeckVersion, Plan, Rater, Rating

rates = st.builds(lambda units, places: Decimal(units).scaleb(-places),
                  st.integers(0, 2_000_000), st.integers(0, 7))
days = st.one_of(st.none(), st.dates(date(2026, 10, 1), date(2026, 12, 31)))
rows = st.builds(
    lambda prefix, rate, connection, billing, valid_from, band: DeckRow(
        0, prefix, f"to {prefix}", "", rate, connection, billing[0], billing[1], valid_from, band),
    st.text("0123456789", min_size=1, max_size=4), rates, rates,
    st.sampled_from([(1, 1), (60, 60), (30, 6), (0, 60), (60, 1)]), days,
    st.sampled_from(["", "", "peak", "offpeak", "weekend"]))


def deck_versions(draw_rows: list[list[DeckRow]], valid: list[date | None], precisions: list[int]) -> list[DeckVersion]:
    decks = []
    for i, (found, valid_from, precision) in enumerate(zip(draw_rows, valid, precisions), 1):
        unique = {(r.prefix, r.band, r.valid_from): r for r in found}  # what read_deck allows
        decks.append(DeckVersion(i, "sell" if i % 2 else "buy", i, "GBP", precision, valid_from,
                                 parse_peak("08:00-18:00"), PrefixTable(unique.values())))
    return decks


def reference(decks: list[DeckVersion], plan: Plan, answer, billsec, disposition, bill_to, trunk, number) -> Rating:
    """The rule as written in docs/rating.md, with nothing cached and Decimal amounts."""
    if not bill_to or not trunk or answer is None or disposition != "ANSWERED":
        return NOT_RATED
    local = answer.astimezone(plan.zone)

    def pick(name):
        versions = sorted((d for d in decks if d.name == name), key=lambda d: (d.valid_from or date.min, d.version),
                          reverse=True)
        deck = next((d for d in versions if d.valid_from is None or d.valid_from <= local.date()), None)
        if deck is None or not number or not number.isdigit():
            return None
        row = deck.table.find(number, local.date(), band_at(local, deck.peak))
        return None if row is None else (deck, row)

    sold, bought = pick(plan.sell.get(bill_to, plan.default_sell)), pick(plan.buy.get(trunk))

    def priced(found):
        if found is None:
            return None, None
        deck, row = found
        return to_micros(amount(billsec, row.rate, row.connection, row.minimum, row.increment, deck.precision)), deck.currency

    named = sold or bought
    return Rating(RATED if sold and bought else UNRATED, *priced(sold), *priced(bought),
                  named[1].destination if named else None, named[1].kind if named else None,
                  sold[0].id if sold else None, bought[0].id if bought else None)


@settings(max_examples=300, deadline=None)
@given(billsec=st.integers(0, 100_000), rate=rates, connection=rates, precision=st.integers(0, 6),
       billing=st.sampled_from([(1, 1), (60, 60), (30, 6), (0, 60), (60, 1), (0, 1)]))
def test_integer_amounts_are_the_decimal_rule(billsec, rate, connection, precision, billing):
    expected = to_micros(amount(billsec, rate, connection, *billing, precision))
    assert micros(billsec, *billing, terms(rate, connection, precision)) == expected


def test_half_up_at_the_precision():
    # 0.0060/min for 5 s = 0.0005 exactly: to 3 decimals, half-up gives 0.001
    assert micros(5, 1, 1, terms(Decimal("0.0060"), Decimal(0), 3)) == 1000
    assert micros(4, 1, 1, terms(Decimal("0.0060"), Decimal(0), 3)) == 0  # 0.0004
    assert micros(0, 60, 60, terms(Decimal("0.02"), Decimal("0.15"), 4)) == 150_000  # 0 s: the connection only


@settings(max_examples=200, deadline=None)
@given(
    deck_rows=st.lists(st.lists(rows, min_size=1, max_size=12), min_size=2, max_size=4),
    valid=st.lists(days, min_size=4, max_size=4),
    precisions=st.lists(st.integers(0, 6), min_size=4, max_size=4),
    zone=st.sampled_from(["UTC", "Europe/London", "Asia/Kolkata", "America/St_Johns"]),
    legs=st.lists(st.tuples(
        st.datetimes(datetime(2026, 10, 1), datetime(2026, 12, 31),
                     timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), ZoneInfo("Europe/London")])),
        st.integers(0, 4000), st.sampled_from(["ANSWERED", "ANSWERED", "NO ANSWER"]),
        st.sampled_from(["acme", "globex", ""]), st.sampled_from(["t1", "t2", ""]),
        st.one_of(st.text("0123456789", min_size=0, max_size=12), st.sampled_from(["*97", "201"]))),
        min_size=1, max_size=30),
)
def test_the_rater_decides_as_the_plain_rule(deck_rows, valid, precisions, zone, legs):
    decks = deck_versions(deck_rows, valid, precisions)
    plan = Plan(ZoneInfo(zone), "sell", {"globex": "nope"}, {"t1": "buy", "t2": "sell"})
    rater = Rater(decks, plan)
    for leg in legs * 2:  # the second time from the caches
        assert rater.rate(*leg) == reference(decks, plan, *leg), leg
