"""The monthly statement and the carriers' reconciliation from the rated world; amounts by hand
from the demo decks (tests/rated_world.py): every acme leg out is 0.0200 (UK Geographic, one
minute) or 0.0400 (UK Mobile at the weekend, one minute); carrier1 bills per second."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from calldata.statements.build import FORWARDED, BilledLeg, statement
from calldata.statements.monthly import carrier_statement, company_statement
from rated_world import load_rated_world, rated_directory


def summary(lines: list) -> dict[str, tuple[int, str]]:
    return {line.key: (line.calls, str(line.amount)) for line in lines}


def test_acme_per_destination_per_extension_and_the_total(engine: Engine) -> None:
    load_rated_world(engine)
    with engine.connect() as conn:
        built = company_statement(conn, "acme", 2026, 11, "UTC")
    assert summary(built.destinations) == {"UK Geographic": (7, "0.1400"), "UK Mobile": (2, "0.0800")}
    # 201: two geographic calls and the mobile call it transferred out; 203: one geographic and
    # the mobile one its forward sent out; acme-remote: the call dialled out through remote dial-in
    assert summary(built.extensions) == {"201": (3, "0.0800"), "202": (3, "0.0600"), "203": (2, "0.0600"),
                                         "acme-remote": (1, "0.0200")}
    assert [(line.currency, line.calls, str(line.amount)) for line in built.totals] == [("GBP", 9, "0.2200")]
    assert built.unpriced.calls == 0 and built.names["201"] == "Alice"


def test_unpriced_calls_are_counted_apart_and_not_in_the_total(engine: Engine) -> None:
    directory = rated_directory().replace('    outside_prefix: "9"', '    sell_deck: no-such-deck\n    outside_prefix: "9"', 1)
    load_rated_world(engine, directory)
    with engine.connect() as conn:
        built = company_statement(conn, "globex", 2026, 11, "UTC")
    assert built.totals == [] and built.destinations == [] and built.unpriced.calls == 4


def test_legs_not_rated_yet_are_unpriced(world: Engine) -> None:
    with world.connect() as conn:
        built = company_statement(conn, "acme", 2026, 11, "UTC")
    assert built.totals == [] and built.unpriced.calls == 9


def test_the_month_is_the_companys(engine: Engine) -> None:
    load_rated_world(engine, rated_directory().replace("    name: Acme Ltd\n", "    name: Acme Ltd\n    timezone: Europe/Berlin\n", 1))
    with engine.connect() as conn:
        built = company_statement(conn, "acme", 2026, 11, "UTC")
    assert (built.start, built.end) == (datetime(2026, 10, 31, 23, tzinfo=UTC), datetime(2026, 11, 30, 23, tzinfo=UTC))
    assert built.zone == "Europe/Berlin" and str(built.totals[0].amount) == "0.2200"


def test_carriers_cost_price_and_margin(engine: Engine) -> None:
    load_rated_world(engine)
    with engine.connect() as conn:
        zone, found = carrier_statement(conn, 2026, 11)
    carrier1, globexgw = found
    # carrier1, per second: 0.0010 0.0018 0.0011 0.0022 0.0010 0.0010 0.0004 0.0009 0.0010
    assert (carrier1.trunk, carrier1.calls, carrier1.uncosted) == ("carrier1", 9, 0)
    assert carrier1.cost.shown() == {"GBP": Decimal("0.0104")} and carrier1.price.shown() == {"GBP": Decimal("0.2200")}
    assert carrier1.margin == {"GBP": Decimal("0.2096")}
    # globexgw names no buy deck: priced 0.0200 + 0.0400 + 0.0200 + 0.0200, no cost, so no margin
    assert (globexgw.trunk, globexgw.calls, globexgw.uncosted) == ("globexgw", 4, 4)
    assert globexgw.price.shown() == {"GBP": Decimal("0.1000")} and globexgw.margin == {}
    assert zone == "UTC"


@st.composite
def billed_leg(draw: st.DrawFn) -> BilledLeg:
    """A leg as rating leaves it: a price is a whole number of its deck's last decimal; no price is unrated."""
    precision = draw(st.integers(0, 6))
    units = draw(st.none() | st.integers(0, 10**9))
    return BilledLeg(draw(st.sampled_from(["201", "202", FORWARDED])), draw(st.integers(0, 7200)),
                     "unrated" if units is None else draw(st.sampled_from(["rated", "unrated"])),
                     None if units is None else units * 10 ** (6 - precision), "GBP",
                     draw(st.sampled_from(["UK Mobile", "France", None])), precision)


@settings(max_examples=200, deadline=None)
@given(st.lists(billed_leg(), max_size=40))
def test_the_total_is_the_sum_of_the_legs_prices_to_the_last_decimal(legs: list[BilledLeg]) -> None:
    built = statement("acme", "Acme", "2026-11", "UTC", datetime(2026, 11, 1, tzinfo=UTC),
                      datetime(2026, 12, 1, tzinfo=UTC), legs)
    priced = [leg for leg in legs if leg.price is not None]
    exact = sum((Decimal(leg.price) / 10**6 for leg in priced), Decimal(0))
    assert [line.amount for line in built.totals] == ([exact] if priced else [])
    assert sum((line.amount for line in built.destinations), Decimal(0)) == exact
    assert sum((line.amount for line in built.extensions), Decimal(0)) == exact
    assert built.unpriced.calls == len(legs) - len(priced)
