"""The CDR-table source against real PostgreSQL and MariaDB tables shaped like Asterisk's."""

from __future__ import annotations

import json
from datetime import UTC
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from calldata.ingest import checkpoints
from calldata.ingest.gaps import Gaps
from calldata.ingest.table import TableSource
from calldata.store.schema import quarantine

from livesupport import PbxTable, all_story_rows, drain, expected_key, stored_keys, synthetic_rows


def _source(t: PbxTable, **kw) -> TableSource:
    return TableSource("pbx-db", t.url, table=t.name, **kw)


def _position(engine: Engine) -> str:
    with engine.connect() as conn:
        state = checkpoints.load(conn, "pbx-db")
    return "" if state is None else state.position


def test_stories_through_the_table_are_stored_exactly(engine: Engine, pbx_table: PbxTable) -> None:
    rows = all_story_rows()
    pbx_table.insert(rows)
    assert drain(engine, _source(pbx_table)) == len(rows)
    assert stored_keys(engine) == [expected_key(r) for r in rows]


def test_follows_incrementally_from_the_checkpoint(engine: Engine, pbx_table: PbxTable) -> None:
    rows = synthetic_rows(120)
    pbx_table.insert(rows[:50])
    drain(engine, _source(pbx_table, batch_size=7))
    pbx_table.insert(rows[50:])
    # a new source object, as after a restart: it starts at the committed checkpoint
    assert drain(engine, _source(pbx_table, batch_size=7), _position(engine)) == 70
    assert stored_keys(engine) == [expected_key(r) for r in rows]
    with engine.connect() as conn:
        state = checkpoints.load(conn, "pbx-db")
    assert state is not None and state.inserted == 120 and state.present == 0


def test_keyless_table_follows_by_calldate(engine: Engine, pbx_table_keyless: PbxTable) -> None:
    rows = all_story_rows()
    pbx_table_keyless.insert(rows[:20])
    assert drain(engine, _source(pbx_table_keyless)) == 20
    pbx_table_keyless.insert(rows[20:])
    assert drain(engine, _source(pbx_table_keyless), _position(engine)) == len(rows) - 20
    assert sorted(stored_keys(engine)) == sorted(expected_key(r) for r in rows)


def test_bad_rows_are_quarantined_with_their_key_and_reading_goes_on(engine: Engine, pbx_table: PbxTable) -> None:
    rows = synthetic_rows(6)
    rows[2]["disposition"] = "EXPLODED"
    rows[4]["duration"] = "-5"
    pbx_table.insert(rows)
    assert drain(engine, _source(pbx_table)) == 4
    with engine.connect() as conn:
        bad = conn.execute(select(quarantine.c.source, quarantine.c.position, quarantine.c.reason).order_by(quarantine.c.id)).all()
    key = "acctid" if pbx_table.engine.dialect.name == "postgresql" else "id"
    assert [(s, p) for s, p, _ in bad] == [("pbx-db", f"{key}=3"), ("pbx-db", f"{key}=5")]
    assert "disposition" in bad[0][2] and "duration" in bad[1][2]


def test_a_key_that_commits_late_is_not_skipped(engine: Engine, pbx_table: PbxTable) -> None:
    """Two writers (as cdr_adaptive_odbc's pool): the lower key commits after the higher one was read."""
    rows = synthetic_rows(3)
    source = _source(pbx_table, gap_wait=30)
    slow = pbx_table.insert_open("late.1")
    pbx_table.insert(rows)  # keys 2..4 commit first
    source.open("")
    first = source.read(0)
    assert first is not None and len(first.records) == 3
    gaps = json.loads(first.position)["gaps"]
    assert [g[:2] for g in gaps] == [[1, 1]]
    slow.commit()
    slow.close()
    late = source.read(0)
    source.close()
    assert late is not None and [r.uniqueid for r in late.records] == ["late.1"]
    assert json.loads(late.position)["gaps"] == []


def test_gaps_split_and_are_given_up_after_the_wait() -> None:
    gaps = Gaps()
    gaps.add(3, 9)
    assert gaps.give_up(59.0, wait=60) == []
    gaps.fill(5)
    assert [r[:2] for r in gaps.as_list()] == [[3, 4], [6, 9]]
    gaps.add(12, 12)
    assert gaps.give_up(1.0, wait=60) == [(3, 4), (6, 9)]
    assert gaps.as_list() == [[12, 12, 1.0]]


def test_an_unreachable_database_is_a_wait_not_a_crash(engine: Engine) -> None:
    from calldata.ingest.source import SourceUnavailable

    source = TableSource("pbx-db", "postgresql://nobody@127.0.0.1:1/none", table="cdr")
    with pytest.raises(SourceUnavailable):
        source.open("")


def test_times_as_epoch_numbers_and_text_spellings() -> None:
    """cdr_pgsql writes epoch seconds into integer time columns; adaptive ODBC may write numeric dispositions."""
    from calldata.ingest.table import RowReader

    reader = RowReader(["calldate", "answer", "disposition", "amaflags", "uniqueid"], UTC)
    record = reader.record([1795917777, 0, "8", "DOCUMENTATION", "1.2"])
    assert (record.start.isoformat(), record.answer, record.disposition, record.amaflags) == (
        "2026-11-29T02:02:57+00:00", None, "ANSWERED", 3,
    )
    record = reader.record([Decimal("1795917777.5"), 1795917780, "NO ANSWER", 2, "1.3"])
    assert record.start.microsecond == 500000 and record.answer is not None and record.disposition == "NOANSWER"


def test_a_start_column_and_naive_local_times() -> None:
    """A table with `start` (no calldate) holding naive local times is read in the configured zone."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from calldata.ingest.table import RowReader

    reader = RowReader(["Start", "End", "Disposition", "UniqueID"], ZoneInfo("Europe/London"))
    record = reader.record([datetime(2026, 7, 1, 12, 0, 0), datetime(2026, 7, 1, 12, 1, 0), "ANSWERED", "1.4"])
    assert record.start == datetime(2026, 7, 1, 11, 0, 0, tzinfo=UTC)  # BST is UTC+1
    assert record.end == datetime(2026, 7, 1, 11, 1, 0, tzinfo=UTC)
