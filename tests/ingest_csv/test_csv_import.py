"""Importing files into the store (SQLite and PostgreSQL): real recordings, quarantine, re-imports."""

from __future__ import annotations

import csv
import gzip
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from calldata.cdr import normalise_disposition
from calldata.ingest.csvfile import LayoutError
from calldata.ingest.layouts import LAYOUTS
from calldata.ingest.importer import import_file
from calldata.store import quarantine as quarantine_store
from calldata.store.schema import cdr, quarantine
from csv_samples import DATA, GOOD, STORIES, story_files, with_field
from recordings import RUNS

PG_INTS = ("duration", "billsec", "amaflags", "sequence")


def _pg_rows(path: Path) -> list[dict]:
    """The rows cdr_pgsql wrote for the same calls, in our column types."""
    rows = []
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            del row["acctid"]
            row["calldate"] = datetime.fromisoformat(row["calldate"])
            row["disposition"] = normalise_disposition(row["disposition"])
            for name in PG_INTS:
                row[name] = int(row[name])
            rows.append(row)
    return rows


def _by_key(rows: list[dict]) -> list[dict]:
    """Rows in (uniqueid, sequence) order: cdr_pgsql and cdr_csv write one call's rows in different orders."""
    return sorted(rows, key=lambda row: (row["uniqueid"], row["sequence"]))


def _stored(engine: Engine, columns: list[str]) -> list[dict]:
    with engine.connect() as conn:
        result = conn.execute(select(*(cdr.c[name] for name in columns)).order_by(cdr.c.acctid))
        return [dict(row._mapping) for row in result]


def _count(engine: Engine, table) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))


@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
def test_recorded_stories_store_the_same_rows_as_cdr_pgsql(engine: Engine, run: Path) -> None:
    files = story_files(run)
    assert len(files) >= 6 and run / "all" / "Master.csv" in files
    for path in files:
        if path.parent.name == "all":
            continue
        want = _pg_rows(path.with_name("pg.csv"))
        summary = import_file(engine, path, UTC)
        assert summary.layout == "cdr_csv+loguniqueid+loguserfield+newcdrcolumns"
        assert (summary.read, summary.inserted, summary.quarantined) == (len(want), len(want), 0), path
        got = _stored(engine, list(want[0]))[-len(want):]
        assert _by_key(got) == _by_key(want), path
    all_rows = _pg_rows(run / "all" / "pg.csv")
    summary = import_file(engine, run / "all" / "Master.csv", UTC)
    assert (summary.read, summary.inserted, summary.present) == (len(all_rows), 0, len(all_rows))
    assert _by_key(_stored(engine, list(all_rows[0]))) == _by_key(all_rows)


def test_all_stories_in_one_file_into_an_empty_store(engine: Engine) -> None:
    want = _pg_rows(STORIES / "all" / "pg.csv")
    summary = import_file(engine, STORIES / "all" / "Master.csv", UTC, batch_size=7)
    assert (summary.read, summary.inserted, summary.present, summary.quarantined) == (len(want), len(want), 0, 0)
    assert _by_key(_stored(engine, list(want[0]))) == _by_key(want)
    answered = _stored(engine, ["uniqueid", "sequence", "answer", "end"])
    assert answered[0] == {
        "uniqueid": "1795917777.0",
        "sequence": 0,
        "answer": datetime(2026, 11, 29, 2, 3, 0, tzinfo=UTC),
        "end": datetime(2026, 11, 29, 2, 3, 10, tzinfo=UTC),
    }
    assert answered[1]["answer"] is None  # the NO ANSWER leg


BAD_LINES = {
    2: (with_field(12, "six"), "duration: not a number: 'six'"),
    3: (GOOD.rsplit(",", 2)[0], "columns: 19 fields, but layout"),
    5: (with_field(9, '"2026-02-30 10:00:00"'), "start: not a time"),
    6: (with_field(14, '"MAYBE"'), "disposition: unknown value 'MAYBE'"),
    7: (with_field(4, '"Jos\xe9"x'), "quoting: ',' expected after '\"'"),
    9: (with_field(15, '"LOUD"'), "amaflags: unknown value 'LOUD'"),
    10: (GOOD[:60], "quoting: unterminated quoted field"),
}


def _mixed_file(tmp_path: Path) -> tuple[Path, int]:
    """Good records (each a distinct call) around every kind of bad line; returns (file, good count)."""
    lines = []
    good = 0
    for number in range(1, 13):
        if number in BAD_LINES:
            lines.append(BAD_LINES[number][0])
        else:
            lines.append(with_field(16, f'"1795918058.{number}"', f19=f'"1795918058.{number}"'))
            good += 1
    path = tmp_path / "Master.csv"
    path.write_bytes("\n".join(lines).encode("latin-1") + b"\n")
    return path, good


@pytest.mark.parametrize("in_child", [False, True], ids=["parsed_here", "parsed_in_child"])
def test_bad_lines_are_quarantined_and_the_import_goes_on(engine: Engine, tmp_path: Path, in_child: bool) -> None:
    path, good = _mixed_file(tmp_path)
    summary = import_file(engine, path, UTC, in_child=in_child)
    assert (summary.read, summary.inserted, summary.present) == (12, good, 0)
    assert summary.quarantined == summary.newly_quarantined == len(BAD_LINES)
    assert summary.read == summary.inserted + summary.present + summary.quarantined
    assert _count(engine, cdr) == good
    with engine.connect() as conn:
        entries = quarantine_store.listing(conn, source=str(path.resolve()))
    by_line = {int(e["position"]): e for e in entries}
    assert set(by_line) == set(BAD_LINES)
    for number, (raw, reason) in BAD_LINES.items():
        assert by_line[number]["raw"] == raw  # the Latin-1 é kept as é
        assert by_line[number]["reason"].startswith(reason)
        assert by_line[number]["source"] == str(path.resolve())


@pytest.mark.parametrize("in_child", [False, True], ids=["parsed_here", "parsed_in_child"])
def test_reimport_stores_nothing_twice(engine: Engine, tmp_path: Path, in_child: bool) -> None:
    path, good = _mixed_file(tmp_path)
    first = import_file(engine, path, UTC, in_child=in_child, batch_size=3)
    second = import_file(engine, path, UTC, in_child=in_child, batch_size=5)
    assert (first.inserted, first.present, first.newly_quarantined) == (good, 0, len(BAD_LINES))
    assert (second.read, second.inserted, second.present) == (12, 0, good)
    assert (second.quarantined, second.newly_quarantined) == (len(BAD_LINES), 0)
    assert _count(engine, cdr) == good
    assert _count(engine, quarantine) == len(BAD_LINES)


def test_appended_file_imports_only_the_new_records(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    lines = [with_field(16, f'"17.{n}"', f19=f'"17.{n}"') for n in range(10)]
    path.write_text("\n".join(lines[:6]) + "\n")
    assert import_file(engine, path, UTC).inserted == 6
    path.write_text("\n".join(lines) + "\n")  # Asterisk appended four more
    summary = import_file(engine, path, UTC)
    assert (summary.inserted, summary.present) == (4, 6)


@pytest.mark.parametrize("in_child", [False, True], ids=["parsed_here", "parsed_in_child"])
def test_progress_reports_bytes_up_to_the_file_size(engine: Engine, tmp_path: Path, in_child: bool) -> None:
    path, _ = _mixed_file(tmp_path)
    seen: list[int] = []
    import_file(engine, path, UTC, in_child=in_child, batch_size=4, progress=seen.append)
    assert len(seen) == 4  # 12 records in batches of 4, and the final (empty) flush
    assert seen == sorted(seen) and seen[-1] == path.stat().st_size


def test_source_tz_shifts_stored_times(engine: Engine) -> None:
    path = DATA / "cdr_csv.csv"  # written in local time, 10:00 on 1 July
    import_file(engine, path, ZoneInfo("America/New_York"))  # EDT, -04:00
    rows = _stored(engine, ["calldate", "answer", "end"])
    assert rows[0] == {
        "calldate": datetime(2024, 7, 1, 14, 0, 0, tzinfo=UTC),
        "answer": datetime(2024, 7, 1, 14, 0, 5, tzinfo=UTC),
        "end": datetime(2024, 7, 1, 14, 1, 5, tzinfo=UTC),
    }


def test_forced_layout_and_undetectable_file(engine: Engine, tmp_path: Path) -> None:
    path = DATA / "cdr_csv+loguniqueid.csv"
    forced = import_file(engine, path, UTC, layout=LAYOUTS["cdr_csv+loguserfield"])
    assert forced.layout == "cdr_csv+loguserfield" and forced.inserted == 2
    with engine.connect() as conn:
        assert conn.scalars(select(cdr.c.userfield).order_by(cdr.c.acctid)).all() == ["1719824400.12", "pbx1-1719824700.15"]
    junk = tmp_path / "notes.txt"
    junk.write_text("hello, world\nthis is not a CDR\n")
    with pytest.raises(LayoutError, match="force one with --layout"):
        import_file(engine, junk, UTC)
    assert _count(engine, quarantine) == 0


@pytest.mark.parametrize("in_child", [False, True], ids=["parsed_here", "parsed_in_child"])
def test_non_utf8_and_nul_lines_are_stored(engine: Engine, tmp_path: Path, in_child: bool) -> None:
    path = tmp_path / "Master.csv"
    latin1 = with_field(4, '"M\xfcller <07700900001>"', f16='"1.1"', f19='"1.1"').encode("latin-1")
    torn = b'"acme","201",\x00\x00\x00\x00'
    path.write_bytes(GOOD.encode() + b"\n" + latin1 + b"\n" + torn + b"\n")
    summary = import_file(engine, path, UTC, in_child=in_child)
    assert (summary.inserted, summary.quarantined) == (2, 1)
    with engine.connect() as conn:
        assert conn.scalar(select(cdr.c.clid).where(cdr.c.uniqueid == "1.1")) == "Müller <07700900001>"
        entry = conn.execute(select(quarantine)).one()
    assert entry.raw == '"acme","201",\\x00\\x00\\x00\\x00'
    assert entry.reason == "line: contains NUL bytes (a torn write?)"


@pytest.mark.parametrize("in_child", [False, True], ids=["parsed_here", "parsed_in_child"])
def test_rotated_gzip_file_is_read_decompressed(engine: Engine, tmp_path: Path, in_child: bool) -> None:
    path = tmp_path / "Master.csv.1.gz"
    path.write_bytes(gzip.compress((STORIES / "all" / "Master.csv").read_bytes()))
    seen: list[int] = []
    summary = import_file(engine, path, UTC, in_child=in_child, batch_size=10, progress=seen.append)
    assert (summary.layout, summary.read, summary.inserted) == ("cdr_csv+loguniqueid+loguserfield+newcdrcolumns", 32, 32)
    assert seen[-1] == path.stat().st_size
    again = import_file(engine, STORIES / "all" / "Master.csv", UTC)
    assert (again.inserted, again.present) == (0, 32)


def test_a_failure_in_the_parsing_child_is_raised_in_the_importer(engine: Engine, tmp_path: Path) -> None:
    """A rotated file cut short: the child's EOFError reaches the caller (the CLI reports it), batches before it are kept."""
    path = tmp_path / "Master.csv.1.gz"
    whole = gzip.compress((STORIES / "all" / "Master.csv").read_bytes() * 40)
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(EOFError):
        import_file(engine, path, UTC, batch_size=100, in_child=True, layout=LAYOUTS["cdr_csv+loguniqueid+loguserfield+newcdrcolumns"])
    assert _count(engine, cdr) > 0


def test_a_stopped_import_ends_its_parsing_child(engine: Engine, tmp_path: Path) -> None:
    """Stop set after the first batch: nothing more is stored, and the child parsing ahead is ended, not left behind."""
    path, good = _mixed_file(tmp_path)
    stop = threading.Event()
    before = _children()
    summary = import_file(engine, path, UTC, batch_size=4, in_child=True, progress=lambda _: stop.set(), stop=stop)
    assert (summary.read, summary.inserted) == (4, _count(engine, cdr)) and summary.inserted < good
    assert _children() == before


def _children() -> set[int]:
    """This process's live child processes (from /proc)."""
    mine = str(os.getpid())
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == mine and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found
