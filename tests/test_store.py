"""The store: idempotent inserts and a growing acctid, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.errors import UniqueViolation
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from calldata.cdr import Cdr
from calldata.store.cdrs import cdr_values, insert_cdrs, lock_writers, write_new
from calldata.store.schema import cdr
from concurrent_writers import offer_at_once


def _record(i: int) -> Cdr:
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=i)
    return Cdr(
        start=start,
        answer=start + timedelta(seconds=3),
        end=start + timedelta(seconds=30),
        channel=f"IAX2/acme-201-{i}",
        dstchannel=f"IAX2/acme-202-{i}",
        uniqueid=f"1795917777.{i}",
        linkedid=f"1795917777.{i}",
        sequence=i,
        duration=30,
        billsec=27,
        disposition="ANSWERED",
    )


def test_insert_returns_new_ids_and_skips_known_records(engine: Engine) -> None:
    records = [_record(i) for i in range(5)]
    with engine.begin() as conn:
        first = insert_cdrs(conn, records[:3])
    with engine.begin() as conn:
        second = insert_cdrs(conn, records)  # 3 known, 2 new, one repeated in the batch
        second_again = insert_cdrs(conn, [records[4]])
    assert len(first) == 3
    assert len(second) == 2 and min(second) > max(first)
    assert second_again == []
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(cdr)) == 5


def test_times_round_trip_as_aware_utc(engine: Engine) -> None:
    record = _record(1)
    with engine.begin() as conn:
        (acctid,) = insert_cdrs(conn, [record])
    with engine.connect() as conn:
        row = conn.execute(select(cdr.c.calldate, cdr.c.answer, cdr.c["end"]).where(cdr.c.acctid == acctid)).one()
    assert row == (record.start, record.answer, record.end)
    assert row.calldate.tzinfo is not None


def test_repeats_within_a_batch_are_stored_once_in_input_order(engine: Engine) -> None:
    records = [_record(3), _record(1), _record(3), _record(2)]
    with engine.begin() as conn:
        acctids = insert_cdrs(conn, records)
    assert len(acctids) == 3
    with engine.connect() as conn:
        stored = conn.execute(select(cdr.c.uniqueid).order_by(cdr.c.acctid)).scalars().all()
    assert stored == ["1795917777.3", "1795917777.1", "1795917777.2"]


def test_a_row_written_by_write_new_reads_and_sorts_as_one_written_through_sqlalchemy(engine: Engine) -> None:
    """write_new bypasses SQLAlchemy's types (SQLite: times as text it formats itself): the stored
    values, and on SQLite their text (compared and sorted as text), are the same."""
    fast, slow = _record(1), _record(2)
    slow_row = {**cdr_values(slow), "answer": slow.answer.replace(microsecond=5)}
    with engine.begin() as conn:
        lock_writers(conn)
        (acctid,) = write_new(conn, [msgspec.structs.replace(fast, answer=fast.answer.replace(microsecond=5))],
                              None, [fast.natural_key()])
        conn.execute(insert(cdr), [slow_row])
    columns = [cdr.c.calldate, cdr.c.answer, cdr.c["end"], cdr.c.sequence, cdr.c.natkey]
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(cdr.c.acctid)).all()
        if engine.dialect.name == "sqlite":
            texts = conn.execute(text('SELECT calldate, answer, "end" FROM cdr ORDER BY acctid')).all()
            assert [len(t) for t in texts[0]] == [len(t) for t in texts[1]] == [26, 26, 26]
    assert rows[0][0] == fast.start and rows[0][1] == fast.answer.replace(microsecond=5) and rows[0][4] == fast.natural_key()
    assert [type(v) for v in rows[0]] == [type(v) for v in rows[1]]
    assert acctid == 1


# a Cdr's times are UTC; others (an offset of seconds among them) must be stored as the same instant
_ZONES = st.sampled_from([UTC, UTC, timezone(timedelta(hours=-5, minutes=-30)), timezone(timedelta(seconds=30))])
_INSTANTS = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2199, 12, 31), timezones=_ZONES)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(times=st.lists(st.tuples(_INSTANTS, st.none() | _INSTANTS, st.none() | _INSTANTS), min_size=1, max_size=5))
def test_write_new_stores_every_instant_exactly(engine: Engine, times: list[tuple[datetime, ...]]) -> None:
    """The times go to PostgreSQL's COPY as text written by msgspec (cdrs._copied), to SQLite as
    text of its own: any instant to the microsecond, a NULL answer or end, reads back the same."""
    with engine.begin() as conn:
        base = conn.scalar(select(func.count()).select_from(cdr))
    records = [msgspec.structs.replace(_record(base + n), start=start, answer=answer, end=end)
               for n, (start, answer, end) in enumerate(times)]
    with engine.begin() as conn:
        lock_writers(conn)
        acctids = write_new(conn, records, None, [r.natural_key() for r in records])
    with engine.connect() as conn:
        stored = conn.execute(select(cdr.c.calldate, cdr.c.answer, cdr.c["end"])
                              .where(cdr.c.acctid.in_(acctids)).order_by(cdr.c.acctid)).all()
        if engine.dialect.name == "sqlite":  # text compared and sorted as text: SQLAlchemy's, exactly
            bind = cdr.c.calldate.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
            assert bind is not None
            texts = conn.execute(text('SELECT calldate, answer, "end" FROM cdr WHERE acctid IN'
                                      f' ({", ".join(map(str, acctids))}) ORDER BY acctid')).all()
            assert [tuple(row) for row in texts] == [tuple(v if v is None else bind(v) for v in t) for t in times]
    assert [tuple(row) for row in stored] == times

def test_write_new_refuses_a_stored_key_rather_than_store_it_twice(engine: Engine) -> None:
    """write_new trusts its caller's lookup; a key stored all the same fails the batch on the unique key
    (PostgreSQL: psycopg's own error, raised by the COPY on the driver's cursor)."""
    record = _record(1)
    with engine.begin() as conn:
        insert_cdrs(conn, [record])
    with pytest.raises((IntegrityError, UniqueViolation)), engine.begin() as conn:
        write_new(conn, [record], None, [record.natural_key()])
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(cdr)) == 1


def test_migrations_build_exactly_the_declared_schema(engine: Engine) -> None:
    import calldata.attribution.schema  # noqa: F401  (tables declared outside store/)
    import calldata.auth.schema  # noqa: F401
    import calldata.ingest.checkpoints  # noqa: F401
    import calldata.rating.schema  # noqa: F401
    import calldata.recordings.schema  # noqa: F401
    import calldata.reports.schema  # noqa: F401
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from calldata.store.partitions import on_database
    from calldata.store.schema import metadata

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": on_database(conn.dialect.name)})
        assert compare_metadata(context, metadata) == []
        if conn.dialect.name == "postgresql":  # alembic leaves collations out of its comparison
            built = conn.execute(text(
                "SELECT c.relname, a.attname, co.collname FROM pg_attribute a"
                " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_collation co ON co.oid = a.attcollation"
                " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped"
                " AND c.relnamespace = 'public'::regnamespace AND c.relname <> 'alembic_version'")).all()
            declared = {(t.name, c.name): getattr(c.type.dialect_impl(conn.dialect), "collation", None) or "default"
                        for t in metadata.tables.values() for c in t.columns}
            assert {(table, column): collation for table, column, collation in built} == {
                key: declared[key] for key in ((table, column) for table, column, _ in built)}
            assert {key for key, collation in declared.items() if collation == "C"} <= {(t, c) for t, c, _ in built}


def test_concurrent_writers_store_each_record_once(store_url: str, engine: Engine) -> None:
    """Writers offering the same records at once (live sources overlapping) each store what was new
    when they held the writers' turn: no batch fails on a key another stored meanwhile (SQLite
    takes its one writer at a transaction's first write, so lock_writers writes first)."""
    records = [_record(i) for i in range(1200)]
    assert offer_at_once(store_url, records, 60) == []
    with engine.connect() as conn:
        stored = conn.execute(select(cdr.c.natkey)).scalars().all()
    assert sorted(stored) == sorted(r.natural_key() for r in records)
