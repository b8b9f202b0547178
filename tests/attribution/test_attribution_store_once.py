"""Storing with attribution writes each new row once, and stores exactly what the old path did
(insert, then re-decide the calls of the new rows and UPDATE them), however the batches fall."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, delete, select, text
from stories import DIRECTORY_YAML, STORIES, read_master_csv

from calldata.attribution import refresh, versions
from calldata.attribution.properties import PROPERTIES
from calldata.attribution.schema import directory_version
from calldata.cdr import Cdr
from calldata.ingest.sink import Stored, store_batch
from calldata.store.cdrs import insert_cdrs
from calldata.store.schema import cdr

ALL = read_master_csv(STORIES / "all" / "Master.csv")


def _count_updates(conn: Connection) -> None:
    """Start counting the UPDATEs of cdr rows made in this transaction (see `_updates`)."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS cdr_updates (n INTEGER)"))
        conn.execute(text("DELETE FROM cdr_updates"))
        conn.execute(text("INSERT INTO cdr_updates VALUES (0)"))
        conn.execute(text("CREATE TEMP TRIGGER IF NOT EXISTS cdr_updated AFTER UPDATE ON main.cdr "
                          "BEGIN UPDATE cdr_updates SET n = n + 1; END"))


def _updates(conn: Connection) -> int:
    """cdr rows UPDATEd so far in this transaction (PostgreSQL's own per-transaction counter, kept
    per partition)."""
    if conn.dialect.name == "sqlite":
        return conn.execute(text("SELECT n FROM cdr_updates")).scalar_one()
    return conn.execute(text(
        "SELECT coalesce(sum(n_tup_upd), 0) FROM pg_stat_xact_user_tables"
        " WHERE relid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'cdr'::regclass)")).scalar_one()


def test_a_new_row_is_written_once_with_its_attribution(engine: Engine) -> None:
    with engine.begin() as conn:
        versions.save(conn, DIRECTORY_YAML.read_text(), "world")
    with engine.begin() as conn:
        _count_updates(conn)
        result = store_batch(conn, ALL)
        assert _updates(conn) == 0  # whole calls in one batch: nothing to correct afterwards
        if conn.dialect.name == "postgresql":  # and every row version is the inserting one
            xid = conn.execute(text("SELECT txid_current()")).scalar_one()
            xmins = set(conn.execute(text("SELECT xmin::text::bigint FROM cdr")).scalars())
            assert xmins == {xid % 2**32}
    assert result.inserted == result.attributed == len(ALL)
    with engine.connect() as conn:
        assert conn.execute(select(cdr.c.acctid).where(cdr.c.directory_version.is_(None))).first() is None


def test_a_later_batch_updates_only_earlier_legs_it_changes(engine: Engine) -> None:
    with engine.begin() as conn:
        versions.save(conn, DIRECTORY_YAML.read_text(), "world")
    half = len(ALL) // 2
    with engine.begin() as conn:
        store_batch(conn, ALL[:half])
    with engine.begin() as conn:
        _count_updates(conn)
        result = store_batch(conn, ALL[half:])
        updates = _updates(conn)
    assert result.inserted == len(ALL) - half
    assert updates == result.attributed - result.inserted  # earlier legs only, each once
    assert updates < half


def _old_path(conn: Connection, records: list[Cdr]) -> Stored:
    """Storing as it was done before: insert bare rows, then re-decide their calls in the store."""
    new_ids = insert_cdrs(conn, records)
    return Stored(inserted=len(new_ids), present=len(records) - len(new_ids),
                  attributed=refresh.attribute_rows(conn, new_ids).updated)


def _stored(engine: Engine) -> list[tuple[Any, ...]]:
    """Every row in acctid order, by natural key (acctids differ between runs, their order not),
    and whether it was decided with the current directory (version ids differ between runs)."""
    columns = [cdr.c.natkey, cdr.c.call, cdr.c.directory_version, *(cdr.c[n] for n in PROPERTIES)]
    with engine.connect() as conn:
        current = versions.current(conn)
        version = None if current is None else current[0].id
        return [(key, call, v == version, *props)
                for key, call, v, *props in conn.execute(select(*columns).order_by(cdr.c.acctid))]


@st.composite
def batches(draw: st.DrawFn) -> list[list[Cdr]]:
    """The stories in any order, cut anywhere, with rows re-sent later and repeated in a batch."""
    order = draw(st.permutations(ALL))
    cuts = sorted(draw(st.sets(st.integers(1, len(order) - 1), max_size=8)))
    out = [list(order[lo:hi]) for lo, hi in zip([0, *cuts], [*cuts, len(order)])]
    for _ in range(draw(st.integers(0, 4))):
        row = draw(st.sampled_from(order))
        out[draw(st.integers(0, len(out) - 1))].insert(draw(st.integers(0, 3)), row)
    return out


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(split=batches(), with_directory=st.booleans())
def test_same_rows_and_attribution_as_inserting_then_updating(
    engine: Engine, split: list[list[Cdr]], with_directory: bool
) -> None:
    runs = []
    for store in (_old_path, store_batch):
        with engine.begin() as conn:
            conn.execute(delete(cdr))
            conn.execute(delete(directory_version))
            if with_directory:
                versions.save(conn, DIRECTORY_YAML.read_text(), "world")
        with engine.begin() as conn:
            results = [store(conn, batch) for batch in split]
        runs.append((results, _stored(engine)))
    (old_results, old_rows), (new_results, new_rows) = runs
    assert new_rows == old_rows
    assert new_results == old_results
    assert len(new_rows) == len(ALL)


def test_resending_stored_rows_writes_nothing(engine: Engine) -> None:
    with engine.begin() as conn:
        versions.save(conn, DIRECTORY_YAML.read_text(), "world")
        store_batch(conn, ALL)
    before = _stored(engine)
    with engine.begin() as conn:
        _count_updates(conn)
        result = store_batch(conn, ALL + ALL[:3])
        assert _updates(conn) == 0
    assert result == Stored(present=len(ALL) + 3)
    assert _stored(engine) == before
