"""Generated calls mean what they say: stored through the sink, attribution reads each kind as that kind."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
from demo_support import DIRECTORY_YAML, world
from sqlalchemy import select

from calldata.demo import demo
from calldata.demo.generator import Call, calls
from calldata.ingest.sink import store_batch
from calldata.store.engine import sync_engine, upgrade
from calldata.store.schema import cdr

START = datetime(2026, 11, 2, tzinfo=UTC)
_TRUNKS = {"acme": "carrier1", "globex": "globexgw"}  # outbound: the company's own trunk when it has one


@pytest.fixture(scope="module")
def attributed(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Call, list[dict[str, Any]]]]:
    """Each generated call with its rows as stored and attributed (in the call's row order)."""
    engine = sync_engine(f"sqlite:///{tmp_path_factory.mktemp('attr') / 'demo.sqlite3'}")
    upgrade(engine)
    demo.load_directory(engine, DIRECTORY_YAML.read_text(), "example")
    made = list(calls(world(), rows=6000, seed=21, start=START, days=7))
    with engine.begin() as conn:
        store_batch(conn, [row for call in made for row in call.rows])
    with engine.connect() as conn:
        stored = {(r["uniqueid"], r["sequence"]): dict(r) for r in conn.execute(select(cdr)).mappings()}
    engine.dispose()
    return [(call, [stored[(r.uniqueid, r.sequence)] for r in call.rows]) for call in made]


def _of(attributed: list[tuple[Call, list[dict[str, Any]]]], *kinds: str) -> list[list[dict[str, Any]]]:
    found = [rows for call, rows in attributed if call.kind in kinds]
    assert found, kinds
    return found


def test_flags_appear_on_their_kinds_only(attributed: list[tuple[Call, list[dict[str, Any]]]]) -> None:
    flagged: dict[str, set[str]] = defaultdict(set)
    for call, rows in attributed:
        for row in rows:
            for flag in ("is_ivr", "is_park", "is_pick", "is_auth", "is_bounce"):
                if row[flag]:
                    flagged[flag].add(call.kind)
    assert flagged["is_park"] == {"park", "park_timeout"}
    assert flagged["is_pick"] == {"pickup_directed", "pickup_group"}
    assert flagged["is_auth"] == {"disa"}
    assert flagged["is_bounce"] == {"park_timeout"}
    # answered by the menu, then put through (a caller who gives up in the queue was not)
    assert flagged["is_ivr"] == {"ivr_extension", "ivr_hangup", "queue", "forward"}


def test_every_call_of_a_flagged_kind_carries_its_flag(attributed: list[tuple[Call, list[dict[str, Any]]]]) -> None:
    for kind, flag in (("park", "is_park"), ("park_timeout", "is_bounce"), ("pickup_directed", "is_pick"),
                       ("pickup_group", "is_pick"), ("disa", "is_auth"), ("ivr_extension", "is_ivr"),
                       ("ivr_hangup", "is_ivr"), ("queue", "is_ivr")):
        for rows in _of(attributed, kind):
            assert any(r[flag] for r in rows), (kind, rows)
    for rows in _of(attributed, "disa"):
        assert rows[0]["auth"] in ("acme-remote", "globex-remote") and rows[0]["bill_to"] == rows[0]["company"]


def test_transfers_name_the_transferrer(attributed: list[tuple[Call, list[dict[str, Any]]]]) -> None:
    for rows in _of(attributed, "transfer", "transfer_external"):
        first, second = rows
        transferrer = first["dstchannel"].split("-")[1]  # IAX2/acme-202-7456 -> 202
        assert second["xfer"] == transferrer
        assert first["dial_short"] == transferrer  # as dialled, before the transfer rewrote dst
    for rows in _of(attributed, "transfer_external"):
        company = rows[0]["target"]
        assert rows[1]["trunk"] == _TRUNKS[company] and rows[1]["bill_to"] == company
        assert rows[0]["company"] == rows[1]["company"] == ""  # the caller is outside


def test_outbound_legs_are_billed_to_the_caller_through_the_right_trunk(
        attributed: list[tuple[Call, list[dict[str, Any]]]]) -> None:
    for rows in _of(attributed, "outbound"):
        (row,) = rows
        assert row["company"] == row["accountcode"] == row["bill_to"]
        assert row["trunk"] == _TRUNKS[row["company"]]
        assert row["dial_full"].startswith(("44", "33", "353", "1", "49"))
        assert row["call_rec"] == row["userfield"].removeprefix("call_rec=")


def test_inbound_calls_come_from_outside(attributed: list[tuple[Call, list[dict[str, Any]]]]) -> None:
    for rows in _of(attributed, "inbound", "inbound_noanswer", "ivr_extension", "huntgroup", "queue"):
        for row in rows:
            assert row["company"] == "" and row["trunk"] == "carrier1" and row["target"] in _TRUNKS
            assert row["bill_to"] == ""


def test_a_company_calling_another_is_seen_from_both_ends(attributed: list[tuple[Call, list[dict[str, Any]]]]) -> None:
    for rows in _of(attributed, "company_to_company"):
        back, out = rows
        assert out["target"] == back["target"] != out["company"]
        assert back["company"] == out["company"]  # the caller's number is a DDI hosted here
