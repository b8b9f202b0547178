"""A row's stored JSON (PostgreSQL) after every writer of cdr rows: insert and attribution,
re-rating, reprocess with another directory, a re-decided leg, tricky values; then served by the
API exactly as SQLite serves it. Restored archives: tests/retention/test_row_json_restore.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from calldata.attribution import versions
from calldata.attribution.refresh import reprocess
from calldata.demo.demo import load_decks
from calldata.store.cdrs import insert_cdrs
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
