"""Integers the store cannot hold (its columns are 32-bit): quarantined, naming the field, by every source."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from calldata.cdr import INT_MAX, INT_MIN, CdrValueError
from calldata.ingest.ami import HEADER_FIELDS, cdr_from_event
from calldata.ingest.csvfile import parse_line
from calldata.ingest.layouts import LAYOUTS
from calldata.ingest.follow import CsvLines, FileSource
from calldata.ingest.importer import import_file
from calldata.ingest.table import RowReader
from calldata.store.schema import cdr, quarantine
from csv_samples import GOOD, fields, with_field

CSV21 = LAYOUTS["cdr_csv+loguniqueid+loguserfield+newcdrcolumns"]
INDEX = {name: CSV21.columns.index(name) for name in ("duration", "billsec", "amaflags", "sequence")}

# (field, as written, why it is refused): every integer field of a Cdr, just past the store's range
TOO_BIG = [
    ("duration", "99999999999", "too large"),
    ("duration", str(INT_MAX + 1), "too large"),
    ("billsec", "1e10", "too large"),
    ("billsec", str(INT_MAX + 1), "too large"),
    ("amaflags", str(INT_MAX + 1), "too large"),
    ("sequence", str(INT_MAX + 1), "too large"),
    ("sequence", str(INT_MIN - 1), "below"),
]
# the extremes the store holds: kept as written
EXTREMES = [("duration", INT_MAX), ("billsec", INT_MAX), ("amaflags", INT_MAX), ("sequence", INT_MAX), ("sequence", INT_MIN)]


def _line(field: str, written: str) -> str:
    return with_field(INDEX[field], written)


@pytest.mark.parametrize(("field", "written", "why"), TOO_BIG)
def test_a_csv_line_beyond_the_store_is_an_error_naming_the_field(field: str, written: str, why: str) -> None:
    with pytest.raises(CdrValueError, match=f"^{field}: {why}"):
        parse_line(_line(field, written).encode(), CSV21, UTC)


@pytest.mark.parametrize(("field", "value"), EXTREMES)
def test_the_extremes_the_store_holds_are_read(field: str, value: int) -> None:
    assert getattr(parse_line(_line(field, str(value)).encode(), CSV21, UTC), field) == value


def test_a_negative_sequence_is_asterisks_wrapped_counter() -> None:
    assert parse_line(_line("sequence", "-7").encode(), CSV21, UTC).sequence == -7


def _values() -> dict[str, str]:
    """GOOD as field name -> value, unquoted (as a table or an AMI event gives it)."""
    return {name: text.strip('"') for name, text in zip(CSV21.columns, fields(), strict=True)}


@pytest.mark.parametrize(("field", "written", "why"), TOO_BIG)
def test_the_table_source_applies_the_same_bound(field: str, written: str, why: str) -> None:
    """Asterisk's table gives Python numbers (a bigint column can hold more than the store)."""
    values: dict[str, object] = {**_values(), field: int(float(written))}
    reader = RowReader(list(values), UTC)
    with pytest.raises(CdrValueError, match=f"^{field}: {why}"):
        reader.record([values[column] for column in reader.columns])


@pytest.mark.parametrize(("field", "written", "why"), TOO_BIG)
def test_the_ami_source_applies_the_same_bound(field: str, written: str, why: str) -> None:
    header = {name: key for key, name in HEADER_FIELDS.items()}
    headers = {header[name]: value for name, value in _values().items()}
    headers[header[field]] = written
    with pytest.raises(CdrValueError, match=f"^{field}: {why}"):
        cdr_from_event(headers, UTC)


def test_the_file_follower_quarantines_the_line(tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    path.write_text("\n".join([GOOD, *(_line(f, w) for f, w, _ in TOO_BIG)]) + "\n")
    source = FileSource("pbx-csv", path, CsvLines(UTC))
    source.open("")
    batch = source.read(0)
    assert batch is not None and len(batch.records) == 1
    assert [(r.position.split(" byte")[0].split()[-1], r.reason.split(":")[0]) for r in batch.rejected] == [
        (str(line), field) for line, (field, _, _) in enumerate(TOO_BIG, start=2)
    ]


def test_import_quarantines_each_line_and_stores_the_rest(engine: Engine, tmp_path: Path) -> None:
    """Before: PostgreSQL refused the batch (a traceback, nothing stored); SQLite stored the values."""
    path = tmp_path / "Master.csv"
    extremes = [_line(field, str(value)).replace("1795918058.63", f"1795918058.{i}") for i, (field, value) in enumerate(EXTREMES)]
    path.write_text("\n".join([GOOD, *(_line(f, w) for f, w, _ in TOO_BIG), *extremes]) + "\n")
    summary = import_file(engine, path, UTC)
    assert (summary.read, summary.inserted, summary.quarantined) == (1 + len(TOO_BIG) + len(EXTREMES), 1 + len(EXTREMES), len(TOO_BIG))
    with engine.connect() as conn:
        entries = conn.execute(select(quarantine.c.source, quarantine.c.position, quarantine.c.reason).order_by(quarantine.c.id)).all()
        stored = conn.execute(select(cdr.c.duration, cdr.c.billsec, cdr.c.amaflags, cdr.c.sequence).order_by(cdr.c.acctid)).all()
    assert [(source, position, reason.split(":")[0]) for source, position, reason in entries] == [
        (str(path.resolve()), str(line), field) for line, (field, _, _) in enumerate(TOO_BIG, start=2)
    ]
    assert all("too large for the store" in reason or "below" in reason for _, _, reason in entries)
    names = ("duration", "billsec", "amaflags", "sequence")
    assert [dict(zip(names, row, strict=True))[field] for row, (field, _) in zip(stored[1:], EXTREMES, strict=True)] == [
        value for _, value in EXTREMES
    ]


def test_calldata_import_quarantines_them_in_one_run_without_a_traceback(store_url: str, tmp_path: Path) -> None:
    """The operator's command, a real process, on SQLite and PostgreSQL: exit 0, each line in
    `quarantine list` with its field, the good line stored."""
    path = tmp_path / "Master.csv"
    path.write_text("\n".join([GOOD, *(_line(f, w) for f, w, _ in TOO_BIG)]) + "\n")
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "500"}

    def calldata(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "calldata", "--database-url", store_url, *args],
                              capture_output=True, text=True, timeout=120, env=env)

    done = calldata("import", str(path))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    summary = next(line for line in done.stdout.splitlines() if "Master.csv" in line)
    assert [c.strip() for c in re.split(r"[│┃]", summary)[1:-1]][2:] == ["8", "1", "0", str(len(TOO_BIG))]
    listed = calldata("quarantine", "list", "--source", str(path.resolve()), "--limit", "100")
    assert listed.returncode == 0, listed.stderr
    reasons = re.findall(r"│ (\w+): (too large|below)", listed.stdout)
    assert sorted(field for field, _ in reasons) == sorted(field for field, _, _ in TOO_BIG), listed.stdout
