"""Rating in the same pass as attribution: imported legs are stored with their price and cost."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import func, select

from calldata.attribution import refresh, versions
from calldata.ingest.importer import import_file
from calldata.rating import decks
from calldata.rating.schema import rate_history
from calldata.demo.demo import load_decks
from rated_world import load_decked_world, rated_directory, rated_legs
from recordings import RUNS

# Legs of the recorded runs leaving through a trunk, priced by hand from the demo decks' rows.
# (uniqueid, bill_to, number, billsec) -> (price, cost) in millionths of a pound.
BY_HAND = {
    # uk-retail 441 0.0200/min 60/60: 10 s is one minute -> 0.0200.
    # carrier1 441 0.0060/min 1/1: 10 s -> 0.0060 * 10/60 = 0.0010.
    ("1795917835.15", "acme", "441632960123", 10): (20000, 1000),
    # globex-gateway 44 0.0150/min + 0.0100, 30/6: 10 s is billed 30 s -> 0.0075 + 0.0100 = 0.0175.
    ("1795917854.18", "globex", "441632960123", 10): (20000, 17500),
    # uk-retail 33 0.0400/min -> 0.0400; globex-gateway 33 0.0090: 8 s -> 30 s -> 0.0045 + 0.0100 = 0.0145.
    ("1795917873.21", "globex", "33144556677", 8): (40000, 14500),
    # Sunday 02:07 UTC: the weekend band. uk-retail 447 weekend 0.0400 -> 0.0400;
    # carrier1 447 weekend 0.0100 * 11/60 = 0.0018333 -> 0.0018 (4 decimals, half-up).
    ("1795918035.58", "acme", "447700900123", 11): (40000, 1800),
    # carrier1 0.0060 * 4/60 = 0.0004.
    ("1795965750.93", "acme", "441632960101", 4): (20000, 400),
}


def _external(leg: dict) -> bool:
    return bool(leg["bill_to"]) and bool(leg["trunk"]) and leg["disposition"] == "ANSWERED"


def test_import_rates_the_legs_leaving_through_a_trunk(engine):
    ids = load_decked_world(engine)
    legs = rated_legs(engine)
    external = [leg for leg in legs.values() if _external(leg)]
    assert len(external) == 13
    assert all(leg["rating"] == "rated" for leg in external)
    assert all(leg["rating"] == "" and leg["price"] is None and leg["cost"] is None
               for leg in legs.values() if not _external(leg))
    for (uniqueid, company, number, billsec), (price, cost) in BY_HAND.items():
        (leg,) = [leg for leg in external if leg["uniqueid"] == uniqueid]
        assert (leg["bill_to"], leg["dial_full"], leg["billsec"]) == (company, number, billsec)
        assert (leg["price"], leg["cost"]) == (price, cost), uniqueid
        assert (leg["currency"], leg["cost_currency"]) == ("GBP", "GBP")
        assert leg["sell_deck"] == ids["uk-retail"]
        assert leg["buy_deck"] == ids["carrier1" if leg["trunk"] == "carrier1" else "globex-gateway"]
    mobile = next(leg for leg in external if leg["uniqueid"] == "1795918035.58")
    assert (mobile["destination"], mobile["destination_kind"]) == ("UK Mobile", "Mobile")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(rate_history)).scalar_one() == 0


def test_import_in_small_batches_rates_as_one_pass(engine, tmp_path):
    """Legs of a call split across batches are re-decided (and re-rated) when the rest arrives."""
    load_decks(engine)
    with engine.begin() as conn:
        versions.save(conn, rated_directory(globex_deck=True), "directory.yaml")
    for run in RUNS:
        import_file(engine, run / "all" / "Master.csv", UTC, batch_size=3)
    small = {leg["acctid"]: leg for leg in rated_legs(engine).values() if _external(leg)}
    assert len(small) == 13
    assert all(leg["rating"] == "rated" for leg in small.values())
    for (uniqueid, *_), (price, cost) in BY_HAND.items():
        (leg,) = [leg for leg in small.values() if leg["uniqueid"] == uniqueid]
        assert (leg["price"], leg["cost"]) == (price, cost)


def test_without_decks_the_outside_legs_are_unrated(world):
    legs = rated_legs(world).values()
    external = [leg for leg in legs if _external(leg)]
    assert len(external) == 13
    assert all(leg["rating"] == "unrated" and leg["price"] is None and leg["cost"] is None
               and leg["sell_deck"] is None and leg["buy_deck"] is None for leg in external)
    assert all(leg["rating"] == "" for leg in legs if not _external(leg))


def test_without_a_directory_nothing_is_rated(engine):
    for run in RUNS:
        import_file(engine, run / "all" / "Master.csv", UTC)
    legs = rated_legs(engine).values()
    assert legs and all(leg["rating"] is None and leg["price"] is None for leg in legs)


def test_a_rated_leg_reattributed_keeps_one_history_row(engine):
    ids = load_decked_world(engine)
    before = rated_legs(engine)
    with engine.begin() as conn:
        special, _ = decks.load(conn, "prefix,destination,rate,increments\n44,UK,0.0300,60/60\n", "acme.csv",
                                name="acme-special", currency="GBP")
        versions.save(conn, rated_directory(globex_deck=True, acme_sell="acme-special"), "directory.yaml")
    with engine.connect() as conn:
        first = refresh.reprocess(conn)
    after = rated_legs(engine)
    acme = [a for a in after.values() if _external(a) and a["bill_to"] == "acme"]
    assert len(acme) == 9
    # 441632960123 for 10 s: one minute of 0.0300 now; the cost is the carrier's, unchanged.
    leg = next(a for a in acme if a["uniqueid"] == "1795917835.15")
    assert (leg["price"], leg["cost"], leg["sell_deck"], leg["destination"]) == (30000, 1000, special.id, "UK")
    assert first.updated >= 9
    with engine.connect() as conn:
        history = conn.execute(select(rate_history).order_by(rate_history.c.acctid)).all()
    assert sorted(h.acctid for h in history) == sorted(a["acctid"] for a in acme)  # one row per leg re-rated
    for h in history:
        assert (h.price, h.sell_deck, h.rating) == (before[h.acctid]["price"], ids["uk-retail"], "rated")
    # other companies' legs are untouched
    assert all(after[a]["price"] == before[a]["price"] for a in after if after[a]["bill_to"] != "acme")
    with engine.connect() as conn:
        again = refresh.reprocess(conn)
        assert again.updated == 0
        assert conn.execute(select(func.count()).select_from(rate_history)).scalar_one() == len(acme)
