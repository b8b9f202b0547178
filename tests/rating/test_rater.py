"""The rating decision: longest prefix, validity, bands, versions, which legs are rated, unrated sides."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from calldata.rating.bands import parse_peak
from calldata.rating.deck import read_deck
from calldata.rating.prefixes import PrefixTable
from calldata.rating.rater import NOT_RATED, DeckVersion, Plan, Rater

SELL = """prefix,destination,kind,rate,connection,increments,band,valid_from
44,UK Other,National,0.05,0,60/60,,
441,UK Geographic,National,0.02,0,60/60,,
447,UK Mobile,Mobile,0.10,0,60/60,peak,
447,UK Mobile,Mobile,0.06,0,60/60,offpeak,
447,UK Mobile,Mobile,0.04,0,60/60,weekend,
4470,UK Personal,Premium,0.50,0.10,60/60,,
33,France,International,0.04,0,60/60,,
33,France,International,0.03,0,60/60,,2026-12-01
"""
BUY = "prefix,destination,rate,increments\n44,UK,0.006,1/1\n"
LONDON = ZoneInfo("Europe/London")


def deck(deck_id: int, text: str, name: str, version: int = 1, valid_from: date | None = None,
         currency: str = "GBP") -> DeckVersion:
    return DeckVersion(deck_id, name, version, currency, 4, valid_from, parse_peak("08:00-18:00"),
                       PrefixTable(read_deck(text, f"{name}.csv")))


def rater(*decks: DeckVersion) -> Rater:
    decks = decks or (deck(1, SELL, "retail"), deck(2, BUY, "carrier"))
    return Rater(decks, Plan(LONDON, "retail", {"vip": "vip-deck"}, {"carrier1": "carrier"}))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def rate(r: Rater, number: str, when: datetime, billsec: int = 61, payer: str = "acme", trunk: str = "carrier1"):
    return r.rate(when, billsec, "ANSWERED", payer, trunk, number)


def test_an_answered_leg_out_through_a_trunk_gets_price_and_cost() -> None:
    rating = rate(rater(), "441632960123", at("2026-11-03 10:00"))  # Tuesday
    # sell: 0.02/min at 60/60, 61 s -> 2 min = 0.04; buy: 0.006/min per second, 61 s = 0.0061
    assert rating == ("rated", 40_000, "GBP", 6_100, "GBP", "UK Geographic", "National", 1, 2)


def test_the_longest_prefix_wins() -> None:
    r = rater()
    assert rate(r, "447012345678", at("2026-11-03 10:00")).destination == "UK Personal"
    assert rate(r, "447712345678", at("2026-11-03 10:00")).destination == "UK Mobile"
    assert rate(r, "443001234567", at("2026-11-03 10:00")).destination == "UK Other"


def test_bands_are_taken_at_the_answer_in_the_pbx_zone() -> None:
    r = rater()
    mobile = "447712345678"
    assert rate(r, mobile, at("2026-11-03 17:59")).price == 200_000  # peak: 2 min x 0.10
    assert rate(r, mobile, at("2026-11-03 18:00")).price == 120_000  # offpeak from 18:00
    assert rate(r, mobile, at("2026-11-07 12:00")).price == 80_000  # Saturday: weekend
    # 07:30 UTC on a summer weekday is 08:30 in London: peak
    assert rate(r, mobile, datetime(2026, 7, 7, 7, 30, tzinfo=timezone.utc)).price == 200_000


def test_a_row_applies_from_its_valid_from_date() -> None:
    r = rater()
    assert rate(r, "33144556677", at("2026-11-30 23:59")).price == 80_000  # 0.04 x 2
    assert rate(r, "33144556677", at("2026-12-01 00:00")).price == 60_000  # 0.03 x 2 from Dec 1st


def test_a_new_version_prices_only_calls_from_its_validity() -> None:
    newer = "prefix,destination,rate,increments\n441,UK Geographic,0.01,60/60\n"
    r = rater(deck(1, SELL, "retail"), deck(3, newer, "retail", 2, date(2026, 11, 15)), deck(2, BUY, "carrier"))
    before, after = rate(r, "441632960123", at("2026-11-14 10:00")), rate(r, "441632960123", at("2026-11-15 10:00"))
    assert (before.price, before.sell_deck) == (40_000, 1)
    assert (after.price, after.sell_deck) == (20_000, 3)
    # the new version has no mobile rows: from its validity on, mobiles are unrated, not priced 0
    late = rate(r, "447712345678", at("2026-11-16 10:00"))
    assert (late.rating, late.price, late.cost) == ("unrated", None, 6_100)


def test_unmatched_numbers_and_missing_decks_are_unrated_never_zero() -> None:
    r = rater()
    nowhere = rate(r, "8881234", at("2026-11-03 10:00"))
    assert (nowhere.rating, nowhere.price, nowhere.cost, nowhere.destination) == ("unrated", None, None, None)
    vip = rate(r, "441632960123", at("2026-11-03 10:00"), payer="vip")  # its deck is not loaded
    assert (vip.rating, vip.price, vip.cost) == ("unrated", None, 6_100)
    other_trunk = rate(r, "441632960123", at("2026-11-03 10:00"), trunk="gw")  # no buy deck
    assert (other_trunk.rating, other_trunk.price, other_trunk.cost) == ("unrated", 40_000, None)


def test_only_answered_legs_leaving_through_a_trunk_are_rated() -> None:
    r = rater()
    when = at("2026-11-03 10:00")
    assert r.rate(when, 61, "NO ANSWER", "acme", "carrier1", "441632960123") == NOT_RATED
    assert r.rate(None, 0, "ANSWERED", "acme", "carrier1", "441632960123") == NOT_RATED
    assert r.rate(when, 61, "ANSWERED", "", "", "201") == NOT_RATED  # internal
    assert r.rate(when, 0, "ANSWERED", "acme", "carrier1", "447012345678").price == 100_000  # connection only


@given(st.text(alphabet="0123456789", min_size=1, max_size=15))
def test_the_row_found_is_the_longest_matching_prefix(number: str) -> None:
    r = rater()
    found = r.find("retail", number, at("2026-11-03 10:00"))
    prefixes = ["44", "441", "447", "4470", "33"]
    matching = [p for p in prefixes if number.startswith(p)]
    if not matching:
        assert found is None
    else:
        assert found is not None and found[1].prefix == max(matching, key=len)
