"""`calldata import` and `calldata quarantine list` as an operator runs them: a real subprocess."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from calldata.store.engine import sync_engine
from calldata.store.schema import cdr
from csv_samples import DATA, GOOD, STORIES, with_field


def calldata(store_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calldata", "--database-url", store_url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "500"},
    )


def _row(output: str, name: str) -> list[str]:
    """The cells of the summary row whose first cell ends with `name`."""
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]
        if cells and cells[0].endswith(name):
            return cells
    raise AssertionError(f"no summary row for {name} in:\n{output}")


def _entries(output: str) -> list[list[str]]:
    """The rows of a `quarantine list` table: id, when, source, position, reason, raw."""
    rows = [[c.strip() for c in re.split(r"[│┃]", line)[1:-1]] for line in output.splitlines()]
    return [cells for cells in rows if cells and cells[0].isdigit()]


def test_import_then_reimport_then_quarantine_list(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    path.write_text("\n".join([GOOD, with_field(12, "six"), with_field(16, '"1.2"', f19='"1.2"')]) + "\n")
    other = tmp_path / "acme.csv"
    other.write_text("\n".join([with_field(14, '"MAYBE"'), with_field(16, '"1.3"', f19='"1.3"')]) + "\n")

    first = calldata(store_url, "import", str(path))
    assert first.returncode == 0, first.stderr
    assert _row(first.stdout, "Master.csv")[1:] == ["cdr_csv+loguniqueid+loguserfield+newcdrcolumns", "3", "2", "0", "1"]

    again = calldata(store_url, "import", str(path), str(STORIES / "all" / "Master.csv"), str(other))
    assert again.returncode == 0, again.stderr
    assert _row(again.stdout, str(path))[2:] == ["3", "0", "2", "1 (1 already)"]
    assert _row(again.stdout, "all/Master.csv")[2:] == ["32", "31", "1", "0"]  # GOOD is story 16's row
    assert _row(again.stdout, "acme.csv")[2:] == ["2", "1", "0", "1"]
    assert _row(again.stdout, "total")[2:] == ["37", "32", "3", "2 (1 already)"]
    assert "calldata quarantine list --source FILE" in again.stderr

    listed = calldata(store_url, "quarantine", "list", "--source", str(path))
    assert listed.returncode == 0, listed.stderr
    assert [e[2:5] for e in _entries(listed.stdout)] == [[str(path.resolve()), "2", "duration: not a number: 'six'"]]

    newest = calldata(store_url, "quarantine", "list", "--limit", "1")
    assert [e[2:5] for e in _entries(newest.stdout)] == [[str(other.resolve()), "1", "disposition: unknown value 'MAYBE'"]]

    engine = sync_engine(store_url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(cdr)) == 34
    engine.dispose()


def test_source_tz_and_forced_layout(store_url: str) -> None:
    result = calldata(
        store_url, "import", "--source-tz", "Europe/London", "--layout", "cdr_csv+loguserfield", str(DATA / "cdr_csv+loguniqueid.csv")
    )
    assert result.returncode == 0, result.stderr
    assert _row(result.stdout, "cdr_csv+loguniqueid.csv")[1:] == ["cdr_csv+loguserfield", "2", "2", "0", "0"]
    engine = sync_engine(store_url)
    with engine.connect() as conn:
        first = conn.execute(select(cdr.c.calldate, cdr.c.userfield).order_by(cdr.c.acctid)).first()
    engine.dispose()
    assert (first.calldate.isoformat(), first.userfield) == ("2024-07-01T09:00:00+00:00", "1719824400.12")


def test_bad_arguments_and_missing_files(tmp_path: Path) -> None:
    """Arguments are checked before any store is touched, so SQLite alone shows it."""
    store_url = f"sqlite:///{tmp_path / 'calldata.sqlite3'}"
    zone = calldata(store_url, "import", "--source-tz", "Mars/Olympus", str(DATA / "cdr_csv.csv"))
    assert zone.returncode == 2 and "unknown time zone 'Mars/Olympus'" in zone.stderr
    layout = calldata(store_url, "import", "--layout", "csv99", str(DATA / "cdr_csv.csv"))
    assert layout.returncode == 2 and "unknown layout 'csv99'" in layout.stderr
    junk = tmp_path / "junk.txt"
    junk.write_text("not,a,cdr\n")
    missing = calldata(store_url, "import", str(tmp_path / "nosuch.csv"), str(junk), str(DATA / "cdr_csv.csv"))
    assert missing.returncode == 1
    assert "nosuch.csv: No such file or directory" in missing.stderr
    assert "junk.txt: no known CSV CDR layout" in " ".join(missing.stderr.split())
    assert _row(missing.stdout, "cdr_csv.csv")[2:] == ["2", "2", "0", "0"]  # the good file was still imported


def test_quarantine_list_shortens_only_long_lines() -> None:
    from calldata.cli.quarantine import RAW_SHOWN, _shortened

    assert _shortened("x" * RAW_SHOWN) == "x" * RAW_SHOWN
    assert _shortened("y" * 2000) == "y" * RAW_SHOWN + "… (2000 characters)"
