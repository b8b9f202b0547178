"""The store: idempotent inserts and a growing acctid, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from calldata.cdr import Cdr
from calldata.store.cdrs import insert_cdrs
from calldata.store.schema import cdr


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


def test_migrations_build_exactly_the_declared_schema(engine: Engine) -> None:
    import calldata.attribution.schema  # noqa: F401  (tables declared outside store/)
    import calldata.auth.schema  # noqa: F401
    import calldata.ingest.checkpoints  # noqa: F401
    import calldata.rating.schema  # noqa: F401
    import calldata.recordings.schema  # noqa: F401
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from calldata.store.partitions import on_database
    from calldata.store.schema import metadata

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": on_database(conn.dialect.name)})
        assert compare_metadata(context, metadata) == []
