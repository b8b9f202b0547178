"""Decks in the store and re-rating the recorded runs: versions, idempotent loads, audit history."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import Engine, select

from calldata.attribution import versions
from calldata.rating import decks
from calldata.rating.deck import DeckError
from calldata.rating.rerate import rerate
from calldata.rating.schema import rate_history
from calldata.store.schema import cdr
from stored_world import DIRECTORY_YAML, load_world

SELL = "prefix,destination,kind,rate,increments\n44,UK,National,0.02,60/60\n447,UK Mobile,Mobile,0.10,60/60\n"
BUY = "prefix,destination,rate,increments\n44,UK,0.006,1/1\n"
ALL_TIME = (datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc))


def priced_directory() -> str:
    text = DIRECTORY_YAML.read_text()
    text = text.replace("  timezone: UTC\n", "  timezone: UTC\n  sell_deck: retail\n", 1)
    return text.replace('    channels: ["IAX2/carrier1", "PJSIP/carrier1"]\n',
                        '    channels: ["IAX2/carrier1", "PJSIP/carrier1"]\n    buy_deck: carrier\n', 1)


def rerate_all(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        r = decks.rater(conn, versions.current_lookup(conn).plan)
        done = rerate(conn, r, *ALL_TIME)
    return done.examined, done.changed


def leg(engine: Engine, number: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(cdr).where(cdr.c.dial_full == number, cdr.c.bill_to == "acme")).one()
    return dict(row._mapping)


def test_loading_the_same_deck_twice_adds_no_version_and_a_bad_deck_adds_nothing(engine: Engine) -> None:
    with engine.begin() as conn:
        first, new = decks.load(conn, SELL, "retail.csv", name="retail", currency="GBP")
        again, new_again = decks.load(conn, SELL, "retail.csv", name="retail", currency="GBP")
        assert (new, new_again, again.id, first.version, first.rows) == (True, False, first.id, 1, 2)
        second, _ = decks.load(conn, SELL + "33,France,International,0.04,60/60\n", "retail.csv", name="retail",
                               currency="GBP", valid_from=date(2026, 12, 1))
        assert (second.version, second.rows, second.valid_from) == (2, 3, date(2026, 12, 1))
        with pytest.raises(DeckError):
            decks.load(conn, SELL + "x,Bad,1\n", "retail.csv", name="retail", currency="GBP")
        with pytest.raises(ValueError, match="currency"):
            decks.load(conn, SELL, "retail.csv", name="retail", currency="pounds")
        assert [d.version for d in decks.listing(conn, "retail")] == [1, 2]


def test_rerating_prices_the_recorded_external_legs_and_keeps_what_it_replaced(engine: Engine) -> None:
    load_world(engine, priced_directory())
    with engine.begin() as conn:
        decks.load(conn, SELL, "retail.csv", name="retail", currency="GBP")
        decks.load(conn, BUY, "carrier.csv", name="carrier", currency="GBP")
    examined, changed = rerate_all(engine)
    assert changed > 0 and examined >= changed
    mobile = leg(engine, "447700900123")  # Acme to a mobile through carrier1, billsec 11
    assert (mobile["rating"], mobile["price"], mobile["cost"], mobile["destination"]) == \
        ("rated", 100_000, 1_100, "UK Mobile")  # 1 min x 0.10; 11 s x 0.006/60
    assert rerate_all(engine)[1] == 0  # nothing changed: nothing written
    with engine.begin() as conn:
        decks.load(conn, SELL.replace("0.10", "0.12"), "retail.csv", name="retail", currency="GBP")
    assert rerate_all(engine)[1] >= 1
    now = leg(engine, "447700900123")
    assert (now["price"], now["acctid"]) == (120_000, mobile["acctid"])  # same acctid, new price
    with engine.connect() as conn:
        history = conn.execute(select(rate_history).where(rate_history.c.acctid == mobile["acctid"])).all()
    # imported before any deck was loaded: first unrated, then priced by version 1, now by version 2
    assert [(h.rating, h.price, h.sell_deck) for h in sorted(history, key=lambda h: h.id)] == \
        [("unrated", None, None), ("rated", 100_000, mobile["sell_deck"])]
    assert now["sell_deck"] != mobile["sell_deck"]


def test_a_number_no_deck_prices_is_unrated(engine: Engine) -> None:
    load_world(engine, priced_directory())
    with engine.begin() as conn:
        decks.load(conn, "prefix,destination,rate\n447,UK Mobile,0.10\n", "m.csv", name="retail", currency="GBP")
    rerate_all(engine)
    fixed = leg(engine, "441632960999")
    assert (fixed["rating"], fixed["price"], fixed["cost"]) == ("unrated", None, None)
