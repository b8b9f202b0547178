"""cdr's range partitions on PostgreSQL: made ahead of every batch, pruned by a minID page, kept
exactly-once under concurrent writers, and an existing store converted with its acctids."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import insert, text

from calldata.store import partitions
from calldata.store.cdrs import cdr_values, insert_cdrs
from calldata.store.engine import alembic_config, sync_engine
from calldata.store.reads import PageQuery, driver_sql, page_statement
from calldata.store.schema import cdr
from calldata.store.scratch import scratch_database
from concurrent_writers import offer_at_once
from partitioned_store import SIZE, leg, partitioned_store, where_rows_are
from postgres_admin import admin_url

pytestmark = pytest.mark.postgres


def test_batches_always_land_in_partitions_made_before_them(monkeypatch: pytest.MonkeyPatch) -> None:
    with partitioned_store(monkeypatch) as (_, engine):
        with engine.connect() as conn:
            assert [p.name for p in partitions.partitions(conn)] == ["cdr_from_0", "cdr_from_1000", "cdr_from_2000"]
        for first in range(0, 4500, 500):
            with engine.connect() as conn:
                before = partitions.partitions(conn)
            with engine.begin() as conn:
                acctids = insert_cdrs(conn, [leg(i) for i in range(first, first + 500)])
            assert all(any(p.lower <= a < p.upper for p in before) for a in acctids), "a batch outran the partitions"
        with engine.connect() as conn:
            made = partitions.partitions(conn)
            assert partitions.tail_rows(conn) == 0
            assert partitions.tail_lower(conn) > 4500 + partitions.AHEAD * SIZE
        assert [p.lower for p in made] == list(range(0, made[-1].upper, SIZE))  # contiguous, none skipped
        assert sum(where_rows_are(engine).values()) == 4500
        assert where_rows_are(engine)["cdr_from_3000"] == 1000


def test_every_partition_made_gets_the_uniqueid_index_with_the_company_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    with partitioned_store(monkeypatch) as (_, engine):
        with engine.begin() as conn:  # partitions made ahead of the batch, the tail split
            insert_cdrs(conn, [leg(i) for i in range(2500)])
        with engine.connect() as conn:
            tables = ["cdr", *(p.name for p in partitions.partitions(conn)), partitions.TAIL]
            found = {table: conn.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = :t"
                                              " AND indexdef LIKE '%(uniqueid)%'"), {"t": table}).scalars().all()
                     for table in tables}
        assert "cdr_from_3000" in found  # made after the migrations (they made 0-2999)
        # an index-only probe for a company-scoped queue report (calldata.queues.query.attributed)
        assert all(len(defs) == 1 and defs[0].endswith("(uniqueid) INCLUDE (company, target, bill_to)")
                   for defs in found.values()), found


def test_rows_past_every_partition_go_to_the_tail_and_move_out_when_their_range_is_made(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with partitioned_store(monkeypatch) as (_, engine):
        with engine.begin() as conn:  # a writer that is not calldata's: no partition made ahead
            conn.execute(text("SELECT setval('cdr_acctid_seq', 50000)"))
            conn.execute(text("INSERT INTO cdr (calldate, natkey) VALUES (now(), 'x'), (now(), 'y')"))
        assert where_rows_are(engine) == {"cdr_tail": 2}
        with engine.begin() as conn:
            (acctid,) = insert_cdrs(conn, [leg(1)])
        assert acctid == 50003
        with engine.connect() as conn:
            names = [p.name for p in partitions.partitions(conn)]
        # one partition for the acctids the sequence skipped, not 47 of them
        assert names == ["cdr_from_0", "cdr_from_1000", "cdr_from_2000", "cdr_from_3000", "cdr_from_50000",
                         "cdr_from_51000", "cdr_from_52000"]
        assert where_rows_are(engine) == {"cdr_from_50000": 3}


def test_a_restored_acctid_below_every_partition_gets_its_range_back(monkeypatch: pytest.MonkeyPatch) -> None:
    with partitioned_store(monkeypatch) as (_, engine), engine.begin() as conn:
        conn.execute(text("ALTER TABLE cdr DETACH PARTITION cdr_from_1000"))
        conn.execute(text("DROP TABLE cdr_from_1000"))
        partitions.ensure_range(conn, 1500, SIZE)
        partitions.ensure_range(conn, 1700, SIZE)  # already there: nothing made twice
        assert [p.lower for p in partitions.partitions(conn)] == [0, 1000, 2000]


def test_a_minid_page_reads_one_partition(monkeypatch: pytest.MonkeyPatch) -> None:
    with partitioned_store(monkeypatch) as (_, engine):
        with engine.begin() as conn:
            insert_cdrs(conn, [leg(i) for i in range(3500)])
            conn.execute(text("ANALYZE cdr"))
        stmt, params = page_statement("postgresql", PageQuery(min_id=1500, max_rows=400))
        with engine.connect() as conn:
            cursor = conn.connection.cursor()
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) "
                           + driver_sql(conn.dialect, stmt), params)
            plan = "\n".join(line for (line,) in cursor.fetchall())
        read = [line for line in plan.splitlines() if " on cdr_" in line and "never executed" not in line]
        assert len(read) == 1 and "cdr_from_1000" in read[0], plan
        assert "cdr_from_0 " not in plan and "Merge Append" not in plan, plan  # pruned; an ordered Append


def test_concurrent_writers_store_each_leg_once(monkeypatch: pytest.MonkeyPatch) -> None:
    legs = [leg(i) for i in range(3000)]
    with partitioned_store(monkeypatch) as (url, engine):
        assert offer_at_once(url, legs, 150) == []  # every writer offers every leg, in its own order
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT natkey, acctid FROM cdr ORDER BY acctid")).all()
            keys = dict(conn.execute(text("SELECT natkey, acctid FROM cdr_key")).all())
            assert partitions.tail_rows(conn) == 0
        assert sorted(natkey for natkey, _ in stored) == sorted(r.natural_key() for r in legs)
        assert dict(stored) == keys


def test_the_migration_keeps_rows_acctids_and_the_sequence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLDATA_PARTITION_ROWS", str(SIZE))
    with scratch_database(admin_url(), "calldata_part_migrate") as url:
        engine = sync_engine(url)
        try:
            command.upgrade(alembic_config(engine), "0014_dashboard_indexes")
            with engine.begin() as conn:  # the store as 0014 left it: a plain cdr, acctids with a hole
                conn.execute(insert(cdr), [cdr_values(leg(i)) for i in range(1200)])
                first = conn.execute(text("SELECT acctid FROM cdr ORDER BY natkey")).scalars().all()
                conn.execute(text("DELETE FROM cdr WHERE acctid BETWEEN 100 AND 199"))
                conn.execute(text("SELECT setval('cdr_acctid_seq', 1500)"))
                before = conn.execute(text("SELECT * FROM cdr ORDER BY acctid")).all()
            command.upgrade(alembic_config(engine), "0015_cdr_partitions")
            with engine.begin() as conn:
                assert conn.execute(text("SELECT * FROM cdr ORDER BY acctid")).all() == before
                assert conn.execute(text("SELECT count(*) FROM cdr_key")).scalar_one() == 1100
                assert [p.lower for p in partitions.partitions(conn)] == [0, 1000, 2000, 3000]
            command.upgrade(alembic_config(engine), "head")  # the store the writer of today writes to
            with engine.begin() as conn:
                again = insert_cdrs(conn, [leg(i) for i in range(1300)])  # 1200 known (100 deleted come back)
            assert sorted(first) == list(range(1, 1201))
            assert len(again) == 200 and min(again) > 1500  # the 100 deleted legs and the 100 new ones
            rows = where_rows_are(engine)
            assert rows["cdr_from_0"] == 899 and sum(rows.values()) == 1300 and "cdr_tail" not in rows
        finally:
            engine.dispose()


def test_new_leg_times_are_unchanged_by_partitioning(monkeypatch: pytest.MonkeyPatch) -> None:
    with partitioned_store(monkeypatch) as (_, engine):
        with engine.begin() as conn:
            (acctid,) = insert_cdrs(conn, [leg(7)])
        with engine.connect() as conn:
            start = conn.execute(text("SELECT calldate FROM cdr WHERE acctid = :a"), {"a": acctid}).scalar_one()
        assert start == datetime(2022, 3, 1, 9, 7, tzinfo=UTC)


def test_a_reader_holding_cdr_delays_the_split_but_never_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    with partitioned_store(monkeypatch) as (_, engine):
        with engine.begin() as conn:
            insert_cdrs(conn, [leg(i) for i in range(500)])
        reader = engine.connect()
        reader.execute(text("SELECT count(*) FROM cdr"))  # a long export's transaction: cdr locked for reading
        try:
            began = time.monotonic()
            with engine.begin() as conn:
                stored = insert_cdrs(conn, [leg(i) for i in range(500, 1100)])  # the tail is due to be split
            assert len(stored) == 600 and time.monotonic() - began < 5
            with engine.connect() as conn:
                assert partitions.tail_lower(conn) == 3000  # not split: the reader held cdr
        finally:
            reader.close()
        with engine.begin() as conn:
            insert_cdrs(conn, [leg(1100)])  # the next batch splits it
        with engine.connect() as conn:
            assert partitions.tail_lower(conn) == 4000
        assert "cdr_tail" not in where_rows_are(engine)


def test_deleting_or_truncating_legs_forgets_their_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    with partitioned_store(monkeypatch) as (_, engine):
        with engine.begin() as conn:
            insert_cdrs(conn, [leg(i) for i in range(20)])
            conn.execute(text("DELETE FROM cdr WHERE acctid <= 5"))
            assert conn.execute(text("SELECT count(*) FROM cdr_key")).scalar_one() == 15
            assert len(insert_cdrs(conn, [leg(i) for i in range(20)])) == 5  # the deleted ones, stored again
            conn.execute(text("TRUNCATE cdr"))
            assert conn.execute(text("SELECT count(*) FROM cdr_key")).scalar_one() == 0
            assert len(insert_cdrs(conn, [leg(i) for i in range(20)])) == 20


def test_a_bulk_load_makes_room_in_partitions_of_the_regular_width(monkeypatch: pytest.MonkeyPatch) -> None:
    with partitioned_store(monkeypatch) as (_, engine):
        with engine.begin() as conn:
            made = partitions.ensure_through(conn, 6500)
            assert [p.lower for p in made] == [3000, 4000, 5000, 6000, 7000, 8000]
            assert all(p.upper - p.lower == SIZE for p in made)
            assert partitions.ensure_through(conn, 6500) == []
