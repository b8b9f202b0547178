"""Deck files: columns by name and alias, increments, bands, dates; every bad row named, none loaded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from calldata.rating.deck import DeckError, read_deck


def test_columns_are_found_by_name_in_any_order_with_their_aliases() -> None:
    text = "\ufeffRate Per Minute,Code,Description,Billing,Setup,Effective\n0.10,+447,UK Mobile,30/6,0.05,2026-11-01\n"
    [row] = read_deck(text, "carrier.csv")
    assert (row.prefix, row.destination, row.rate, row.connection, row.minimum, row.increment, row.valid_from) == \
        ("447", "UK Mobile", Decimal("0.10"), Decimal("0.05"), 30, 6, date(2026, 11, 1))
    assert (row.kind, row.band, row.line) == ("", "", 2)


def test_rows_without_increments_take_the_deck_default_and_columns_override_it() -> None:
    text = "prefix,destination,rate,minimum,increment\n44,UK,0.02,,\n447,UK Mobile,0.1,60,\n"
    rows = read_deck(text, "d.csv", billing=(30, 6))
    assert [(r.minimum, r.increment) for r in rows] == [(30, 6), (60, 6)]


def test_every_problem_is_reported_with_its_line_and_nothing_is_returned() -> None:
    text = ("prefix,destination,rate,band,valid_from\n"
            "44,UK,0.02,,\n"
            "4A,Bad prefix,0.02,,\n"
            "447,UK Mobile,-1,,\n"
            "448,UK,0.02,night,\n"
            "449,Premium,1.5,,2026-13-01\n"
            "44,UK again,0.03,,\n")
    with pytest.raises(DeckError) as raised:
        read_deck(text, "deck.csv")
    lines = str(raised.value).splitlines()
    assert [line.split(":")[1] for line in lines] == ["3", "4", "5", "6", "7"]
    assert lines[0].startswith("deck.csv:3: prefix:") and "'4A'" in lines[0]
    assert "rate: must be a number of 0 or more" in lines[1]
    assert "band: one of peak, offpeak, weekend" in lines[2]
    assert "valid_from: a date YYYY-MM-DD" in lines[3]
    assert "already priced on line 2" in lines[4]


def test_a_missing_column_or_an_empty_file_is_one_clear_line() -> None:
    with pytest.raises(DeckError, match=r"d.csv:1: no 'rate' column"):
        read_deck("prefix,destination\n44,UK\n", "d.csv")
    with pytest.raises(DeckError, match=r"d.csv:1: empty file"):
        read_deck("", "d.csv")
    with pytest.raises(DeckError, match=r"d.csv:1: no rows"):
        read_deck("prefix,destination,rate\n", "d.csv")


def test_the_same_prefix_may_be_priced_per_band_and_per_date() -> None:
    text = ("prefix,destination,rate,band,valid_from\n"
            "447,UK Mobile,0.10,peak,\n447,UK Mobile,0.06,offpeak,\n447,UK Mobile,0.08,peak,2027-01-01\n")
    assert len(read_deck(text, "d.csv")) == 3
