"""A row's stored JSON (PostgreSQL) after every writer of cdr rows: insert and attribution,
re-rating, reprocess with another directory, a re-decided leg, tricky values; then served by the
API exactly as SQLite serves it. Restored archives: tests/retention/test_row_json_restore.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import BigInteger, Boolean, Column, Connection, Engine, Text, text

from calldata.attribution import versions
from calldata.attribution.refresh import reprocess
from calldata.demo.demo import load_decks
from calldata.store.cdrs import insert_cdrs
from calldata.store.schema import RENDERED_COLUMNS, cdr
from calldata.store.types import UTCDateTime
from calldata.cdr import Cdr
from rated_world import rate_all, rated_directory
from row_json_check import assert_stored_json_is_fresh
from stored_world import load_world

pytestmark = pytest.mark.postgres
START = datetime(2026, 11, 29, 10, 0, 0, 500_000, tzinfo=UTC)
TRICKY = ['"Bob" <100>', "Müller, Jörg <200>", "line1\nline2", "cr\rlf\r\n", "", "\\.", "tab\tsep", "日本語 ☎",
          "ctrl\x01\x1f", "</script>", "\u2028sep"]


def _postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("rows' JSON is stored on PostgreSQL only; SQLite renders it as it reads")


def _shown(rows: list[Any], key: str) -> set[Any]:
    """The values of `key` among the rows' members and their properties'."""
    return {row[key] for row in rows if key in row} | {row["properties"][key] for row in rows if key in row["properties"]}


def test_the_stored_json_follows_every_writer(engine: Engine) -> None:
    _postgres_only(engine)
    load_world(engine, rated_directory())  # inserted and attributed, nothing rated (no decks yet)
    imported = assert_stored_json_is_fresh(engine)
    assert _shown(imported, "price") == {""} and "acme" in _shown(imported, "company")

    load_decks(engine)
    rate_all(engine)  # re-rating (calldata.rating.rerate)
    rated = assert_stored_json_is_fresh(engine)
    assert {"0.0200", "0.0400"} <= _shown(rated, "price") and "0.0010" in _shown(rated, "cost")

    renamed = rated_directory().replace("\n  acme:\n", "\n  acme2:\n").replace("company: acme,", "company: acme2,")
    with engine.begin() as conn:  # another directory: reprocess re-decides every row
        versions.save(conn, renamed, "renamed.yaml")
    with engine.connect() as conn:
        changed = reprocess(conn)
    assert changed.updated
    reprocessed = assert_stored_json_is_fresh(engine)
    assert "acme2" in _shown(reprocessed, "company") and "acme" not in _shown(reprocessed, "company")

    with engine.begin() as conn:  # any other write: one leg re-decided by hand, flags on, amounts off
        conn.execute(text("UPDATE cdr SET company = NULL, xfer = 'x\"y', is_ivr = true, is_bounce = true,"
                          " price = 1234567, sell_deck = NULL, answer = NULL, sequence = NULL, call = NULL"
                          " WHERE acctid = (SELECT min(acctid) FROM cdr)"))
    edited = assert_stored_json_is_fresh(engine)
    first = edited[0]
    assert first["price"] == "1" and first["answer"] == "" and first["sequence"] == "" and first["call"] == ""
    assert "company" not in first["properties"] and first["properties"]["is_bounce"] is True


def test_tricky_values_are_stored_as_they_are_rendered(engine: Engine) -> None:
    _postgres_only(engine)
    legs = [Cdr(start=START + timedelta(minutes=n), answer=START + timedelta(minutes=n, seconds=3) if n % 2 else None,
                end=START + timedelta(minutes=n, seconds=40), clid=value, src=value, lastdata=value, userfield=value,
                uniqueid=f"1700000000.{n}", linkedid=f"1700000000.{n}", duration=40, billsec=37)
            for n, value in enumerate(TRICKY)]
    with engine.begin() as conn:
        insert_cdrs(conn, legs)
        conn.execute(text("UPDATE cdr SET company = clid, call_rec = lastdata WHERE acctid % 2 = 0"))
    rows = assert_stored_json_is_fresh(engine)
    assert [row["clid"] for row in rows] == TRICKY


def _deck(conn: Connection, name: str, places: int) -> int:
    """A rate_deck row of `places` decimals (nothing else of it is read by the rendering); its id."""
    return conn.execute(text("INSERT INTO rate_deck (name, version, currency, precision, peak, source, sha256,"
                             " loaded_at) VALUES (:name, 1, 'GBP', :places, '', '', '', now()) RETURNING id"),
                        {"name": name, "places": places}).scalar_one()


def _changed(column: Column[Any]) -> str:
    """An expression of `column`'s next value, never its value now."""
    name = f'"{column.name}"'
    if isinstance(column.type, Boolean):
        return f"NOT {name}"
    if isinstance(column.type, Text):
        return f"coalesce({name}, '') || 'x'"
    if isinstance(column.type, UTCDateTime):
        return f"coalesce({name}, calldate) + interval '1 second'"
    step = 1_000_000 if isinstance(column.type, BigInteger) else 1  # amounts: a whole unit, shown at any precision
    return f"coalesce({name}, 0) + {step}"


def test_each_part_follows_an_update_of_any_one_column(engine: Engine) -> None:
    """Migration 0022 renders on UPDATE only the parts whose columns changed: each column changed
    alone on a row of its own (decks included: the next deck has other decimals); amounts set then
    cleared; a part written or emptied directly; rows stored while the trigger was off."""
    _postgres_only(engine)
    columns = [c for c in cdr.columns if c.name not in ("acctid", "natkey", *RENDERED_COLUMNS)]
    legs = [Cdr(start=START + timedelta(minutes=n), end=START + timedelta(minutes=n, seconds=40), src=f"20{n}",
                uniqueid=f"1700000000.{n}", linkedid=f"1700000000.{n}", duration=40, billsec=37)
            for n in range(len(columns))]
    with engine.begin() as conn:
        insert_cdrs(conn, legs)
        decks = [_deck(conn, f"p{places}", places) for places in (0, 2, 4, 6)]
        conn.execute(text("UPDATE cdr SET rating = 'rated', price = 1517301, sell_deck = :sell, cost = 2500,"
                          " buy_deck = :buy, company = 'acme'"), {"sell": decks[1], "buy": decks[2]})
        acctids = conn.execute(text("SELECT acctid FROM cdr ORDER BY acctid")).scalars().all()
        for acctid, column in zip(acctids, columns, strict=True):
            conn.execute(text(f'UPDATE cdr SET "{column.name}" = {_changed(column)} WHERE acctid = {acctid}'))
    rows = assert_stored_json_is_fresh(engine)
    assert _shown(rows, "price") == {"1.51", "2.51", "1.5173"}  # as stored, the amount changed, the deck changed
    steps = [
        "UPDATE cdr SET price = NULL WHERE acctid % 3 = 2",  # a cost without a price
        "UPDATE cdr SET price = NULL, cost = NULL WHERE acctid % 2 = 1",  # amounts cleared
        f"UPDATE cdr SET price = -1234567, sell_deck = {decks[0]} WHERE acctid % 3 = 0",  # set again
        "UPDATE cdr SET price = 7654321, sell_deck = 1000000 WHERE acctid % 4 = 0",  # a deck not stored
        "UPDATE cdr SET company = company, price = price",  # nothing changes
        "UPDATE cdr SET json_base = NULL, json_cache = 'x', json_properties = '' WHERE acctid % 3 = 1",  # written
    ]
    for step in steps:
        with engine.begin() as conn:
            conn.execute(text(step))
        assert_stored_json_is_fresh(engine)
    with engine.begin() as conn:  # stored while the trigger was off: parts NULL, rendered by the next write
        conn.execute(text("ALTER TABLE cdr DISABLE TRIGGER cdr_row_json"))
        conn.execute(text("UPDATE cdr SET json_base = NULL, json_cache = NULL, json_properties = NULL"))
        conn.execute(text("ALTER TABLE cdr ENABLE TRIGGER cdr_row_json"))
        conn.execute(text("UPDATE cdr SET directory_version = 7"))
    assert_stored_json_is_fresh(engine)


def test_amounts_are_shown_with_each_decks_precision(engine: Engine) -> None:
    _postgres_only(engine)
    legs = [Cdr(start=START + timedelta(minutes=n), end=START + timedelta(minutes=n, seconds=40),
                uniqueid=f"1700000000.{n}", linkedid=f"1700000000.{n}") for n in range(4)]
    with engine.begin() as conn:
        insert_cdrs(conn, legs)
        decks = [_deck(conn, f"p{places}", places) for places in (0, 2, 4, 6)]
        conn.execute(text("UPDATE cdr SET price = 1517301, sell_deck = (:decks)[1 + acctid % 4],"
                          " cost = 7, buy_deck = (:decks)[1 + (acctid + 1) % 4]"), {"decks": decks})
    rows = assert_stored_json_is_fresh(engine)
    assert {row["price"] for row in rows} == {"1", "1.51", "1.5173", "1.517301"}
    assert {row["cost"] for row in rows} == {"0", "0.00", "0.0000", "0.000007"}
