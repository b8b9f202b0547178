"""Retention on PostgreSQL: archive, verify, drop; the archive imported back gives the same rows and
acctids; every refusal keeps its partition whole."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from calldata.ingest.importer import ARCHIVE, file_layout, import_file
from calldata.retention import archive
from calldata.retention.keep import cutoff
from calldata.retention.partition import Changed, drop, held
from calldata.retention.run import RetentionError, plan, run
from calldata.store import partitions
from calldata.store.cdrs import insert_cdrs
from calldata.store.partitions import Partition
from partitioned_store import leg, partitioned_store, where_rows_are

pytestmark = pytest.mark.postgres
NOW = datetime.now(UTC)
CUTOFF = cutoff("24mo", NOW)


def _quiet(_part: Partition, _rows: int) -> Any:
    return lambda _written: None


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Legs 1..1999 of 2022 (partitions from 0 and 1000), 2000..2400 of yesterday; some decided and rated."""
    with partitioned_store(monkeypatch) as (_, engine):
        with engine.begin() as conn:
            insert_cdrs(conn, [leg(i) for i in range(1999)])
            insert_cdrs(conn, [leg(i, NOW - timedelta(days=1)) for i in range(5000, 5401)])
            conn.execute(text("UPDATE cdr SET company = 'acme', call = 'c' || (acctid / 3), rating = 'rated',"
                              " price = acctid * 1000, is_ivr = acctid % 7 = 0, lastdata = E'a\\tb\\\\c\\nd'"
                              " WHERE acctid % 2 = 0"))
            conn.execute(text("INSERT INTO call_change (call) SELECT DISTINCT call FROM cdr WHERE call IS NOT NULL"))
        yield engine


def _rows(engine: Engine, below: int) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT * FROM cdr WHERE acctid < :below ORDER BY acctid"), {"below": below}).all()


def test_old_partitions_are_archived_dropped_and_imported_back_with_their_acctids(store: Engine, tmp_path: Path) -> None:
    before = _rows(store, 2000)
    with store.connect() as conn:
        feed_before = conn.execute(text("SELECT max(seq) FROM call_change")).scalar_one()
    done = run(store, CUTOFF, tmp_path, _quiet)
    assert [(c.partition.name, c.rows, p.name) for c, p in done] == [
        ("cdr_from_0", 999, "cdr-0-1000.cdr-archive.gz"), ("cdr_from_1000", 1000, "cdr-1000-2000.cdr-archive.gz")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdr-0-1000.cdr-archive.gz", "cdr-1000-2000.cdr-archive.gz"]
    assert _rows(store, 2000) == []
    with store.connect() as conn:
        assert [p.lower for p in partitions.partitions(conn)][:1] == [2000]
        assert conn.execute(text("SELECT count(*) FROM cdr_key WHERE acctid < 2000")).scalar_one() == 0
        # the calls of the dropped legs are in the change feed again (report caches see the store change)
        assert conn.execute(text("SELECT min(seq) FROM call_change WHERE call = 'c1'")).scalar_one() > feed_before
    assert archive.digest(tmp_path / "cdr-0-1000.cdr-archive.gz").rows == 999

    for path in sorted(tmp_path.iterdir()):
        assert file_layout(path) is ARCHIVE
        result = import_file(store, path, UTC)
        assert (result.layout, result.read, result.inserted, result.present) == ("cdr archive", result.read, result.read, 0)
    assert _rows(store, 2000) == before  # every column, acctids included
    again = import_file(store, tmp_path / "cdr-0-1000.cdr-archive.gz", UTC)
    assert (again.inserted, again.present) == (0, 999)
    assert where_rows_are(store)["cdr_from_0"] == 999 and "cdr_tail" not in where_rows_are(store)
    with store.begin() as conn:  # the leg a source offers again is known: not stored twice
        assert insert_cdrs(conn, [leg(5)]) == []
        (new,) = insert_cdrs(conn, [leg(9999)])
    assert new > 2400


def test_a_partition_with_a_leg_newer_than_the_cutoff_is_kept_and_stops_the_run(store: Engine, tmp_path: Path) -> None:
    with store.begin() as conn:
        conn.execute(text("UPDATE cdr SET calldate = now() - interval '1 hour' WHERE acctid = 1500"))
    found = plan(store, CUTOFF)
    assert [c.partition.name for c in found.going] == ["cdr_from_0"]
    assert found.stop is not None and found.stop.partition.name == "cdr_from_1000"
    run(store, CUTOFF, tmp_path, _quiet)
    assert len(_rows(store, 2000)) == 1000
    assert [p.name for p in tmp_path.iterdir()] == ["cdr-0-1000.cdr-archive.gz"]


def test_a_folder_that_cannot_be_written_drops_nothing(store: Engine, tmp_path: Path) -> None:
    for folder in (Path("/proc"), tmp_path / "missing"):  # /proc: not even root creates a file there
        with pytest.raises(RetentionError, match="nothing dropped"):
            run(store, CUTOFF, folder, _quiet)
    assert len(_rows(store, 2000)) == 1999


def test_an_archive_already_there_that_does_not_match_is_refused(store: Engine, tmp_path: Path) -> None:
    with gzip.open(tmp_path / "cdr-0-1000.cdr-archive.gz", "wb") as other:
        other.write(archive.MAGIC + b"acctid\tnatkey\n1\tsomething else\n")
    with pytest.raises(RetentionError, match="does not hold cdr_from_0's legs: move it away; nothing dropped"):
        run(store, CUTOFF, tmp_path, _quiet)
    assert len(_rows(store, 2000)) == 1999


def test_an_archive_left_by_a_run_stopped_before_its_drop_is_verified_and_used(store: Engine, tmp_path: Path) -> None:
    assert len(run(store, CUTOFF, tmp_path, _quiet)) == 2
    for path in sorted(tmp_path.iterdir()):
        import_file(store, path, UTC)  # as if the drops had not happened
    assert run(store, CUTOFF, tmp_path, _quiet)[0][1].name == "cdr-0-1000.cdr-archive.gz"
    assert _rows(store, 2000) == []


def test_a_partition_changed_after_its_archive_is_not_dropped(store: Engine, tmp_path: Path) -> None:
    part = Partition("cdr_from_0", 0, 1000)
    with store.connect() as conn:
        conn.execute(text("SET TimeZone = 'UTC'"))
        snapshot = held(conn, part)
    with store.begin() as conn:  # attribution decides a leg again meanwhile
        conn.execute(text("UPDATE cdr SET company = 'other' WHERE acctid = 10"))
    with pytest.raises(Changed, match="changed while it was archived"):
        drop(store, part, snapshot, CUTOFF, lambda: pytest.fail("the archive must not be published"))
    assert len(_rows(store, 1000)) == 999


def test_what_a_partition_holds_does_not_depend_on_the_session_time_zone(store: Engine) -> None:
    """A run finding its archive already there reads the partition on a plain connection: the
    drop's check (in UTC) must see the same rows, whatever zone that connection had."""
    part = Partition("cdr_from_0", 0, 1000)
    seen = []
    for zone in ("Asia/Kolkata", "America/New_York", "UTC"):
        with store.connect() as conn:
            conn.execute(text(f"SET TimeZone = '{zone}'"))
            seen.append(held(conn, part))
    assert seen[0] == seen[1] == seen[2]
    assert seen[0].digest.rows == 999


def test_a_damaged_archive_is_named_and_imports_nothing(store: Engine, tmp_path: Path) -> None:
    run(store, CUTOFF, tmp_path, _quiet)
    path = tmp_path / "cdr-0-1000.cdr-archive.gz"
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(EOFError):
        archive.digest(path)
    with pytest.raises(EOFError):
        import_file(store, path, UTC)
    assert _rows(store, 1000) == []
    with pytest.raises(archive.ArchiveError, match="not a calldata cdr archive"), gzip.open(path, "rb") as stream:
        stream.readline()  # past the header: a file that does not start like an archive
        archive.read_header(stream, str(path))
