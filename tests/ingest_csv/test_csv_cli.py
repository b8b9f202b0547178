"""`calldata import` and `calldata quarantine list` as an operator runs them: a real subprocess."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sqlalchemy import func, make_url, select

from calldata.ingest.importer import CHILD_FROM
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
    """Arguments and files are checked before any store is touched, so SQLite alone shows it."""
    db = tmp_path / "calldata.sqlite3"
    store_url = f"sqlite:///{db}"
    zone = calldata(store_url, "import", "--source-tz", "Mars/Olympus", str(DATA / "cdr_csv.csv"))
    assert zone.returncode == 2 and "unknown time zone 'Mars/Olympus'" in zone.stderr
    layout = calldata(store_url, "import", "--layout", "csv99", str(DATA / "cdr_csv.csv"))
    assert layout.returncode == 2 and "unknown layout 'csv99'" in layout.stderr
    junk = tmp_path / "junk.txt"
    junk.write_text("not,a,cdr\n")
    missing = calldata(store_url, "import", str(DATA / "cdr_csv.csv"), str(tmp_path / "nosuch.csv"), str(junk))
    assert missing.returncode == 2 and missing.stdout == ""
    assert len(missing.stderr.splitlines()) == 1, missing.stderr
    assert "nothing imported" in missing.stderr and "nosuch.csv: No such file or directory" in missing.stderr
    assert "junk.txt: no known CSV CDR layout" in missing.stderr
    folder = calldata(store_url, "import", str(tmp_path))
    assert folder.returncode == 2 and folder.stdout == ""
    assert folder.stderr == f"calldata import: nothing imported: {tmp_path}: Is a directory\n"
    forced = calldata(store_url, "import", "--layout", "cdr_csv", str(tmp_path / "nosuch.csv"))
    assert forced.returncode == 2 and "nosuch.csv: No such file or directory" in forced.stderr
    assert not db.exists()  # the good file given with them was not imported: nothing changed


def test_an_empty_file_is_no_rows(store_url: str, tmp_path: Path) -> None:
    """A freshly rotated Master.csv is empty (or holds only a blank line): nothing to store, no error."""
    empty = tmp_path / "Master.csv"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\n")
    result = calldata(store_url, "import", str(empty), str(blank), str(DATA / "cdr_csv.csv"))
    assert result.returncode == 0, result.stderr
    assert _row(result.stdout, "Master.csv")[1:] == ["(no records)", "0", "0", "0", "0"]
    assert _row(result.stdout, "blank.csv")[2:] == ["0", "0", "0", "0"]
    assert _row(result.stdout, "total")[2:] == ["2", "2", "0", "0"]
    forced = calldata(store_url, "import", "--layout", "cdr_csv", str(empty))
    assert forced.returncode == 0, forced.stderr
    assert _row(forced.stdout, "Master.csv")[1:] == ["cdr_csv", "0", "0", "0", "0"]


def test_the_summary_names_the_store_without_its_password_and_the_speed(store_url: str) -> None:
    """The PostgreSQL test server trusts loopback, so a password in its URL is accepted and ignored."""
    url = make_url(store_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(password="s3cret")
    result = calldata(url.render_as_string(hide_password=False), "import", str(DATA / "cdr_csv.csv"))
    assert result.returncode == 0, result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    shown = re.escape(url.render_as_string(hide_password=True))
    assert re.search(rf"2 rows read in \d+\.\d s \([\d,]+ rows/s\) into {shown}$", result.stdout, re.M), result.stdout


GENERATED_ROWS = 30_000
INTERRUPT_BATCH = 500


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A large Master.csv, written by `calldata generate` as an operator would."""
    path = tmp_path_factory.mktemp("generated") / "Master.csv"
    made = subprocess.run(
        [sys.executable, "-m", "calldata", "generate", "--rows", str(GENERATED_ROWS), "--out", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    return path


def _stored_count(store_url: str) -> int:
    engine = sync_engine(store_url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(cdr))
    finally:
        engine.dispose()


def test_ctrl_c_stops_between_batches_and_says_what_was_stored(store_url: str, generated: Path) -> None:
    """SIGINT mid-import: exit 130, the summary counts what was stored, only whole batches are."""
    args = ["import", "--batch-size", str(INTERRUPT_BATCH), str(generated)]
    with subprocess.Popen(
        [sys.executable, "-m", "calldata", "--database-url", store_url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "500"},
    ) as proc:
        deadline = time.monotonic() + 120
        while _stored_count(store_url) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    stored = _stored_count(store_url)
    assert 0 < stored < GENERATED_ROWS and stored % INTERRUPT_BATCH == 0
    assert "Import (interrupted)" in stdout
    assert _row(stdout, "Master.csv")[2:] == [str(stored), str(stored), "0", "0"]

    rest = calldata(store_url, *args)
    assert rest.returncode == 0, rest.stderr
    assert _row(rest.stdout, "Master.csv")[2:] == [str(GENERATED_ROWS), str(GENERATED_ROWS - stored), str(stored), "0"]
    assert _stored_count(store_url) == GENERATED_ROWS


@pytest.mark.slow
def test_killed_mid_import_then_run_again_stores_each_row_once(store_url: str, generated: Path) -> None:
    """SIGKILL while batches are being stored (the file parsed in a child process): only whole batches
    were committed, the orphaned child ends, and importing again stores exactly the rest, each row once."""
    assert generated.stat().st_size >= CHILD_FROM  # so the import parses in a child
    args = ["import", "--batch-size", str(INTERRUPT_BATCH), str(generated)]
    with subprocess.Popen(
        [sys.executable, "-m", "calldata", "--database-url", store_url, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "500"},
    ) as proc:
        deadline = time.monotonic() + 120
        while _stored_count(store_url) < 2 * INTERRUPT_BATCH and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        parsing = _children_of(proc.pid)
        proc.kill()
    assert parsing, "no parsing child was running"
    stored = _stored_count(store_url)
    assert 0 < stored < GENERATED_ROWS and stored % INTERRUPT_BATCH == 0
    deadline = time.monotonic() + 30
    while any(map(_running, parsing)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_running, parsing)), "the parsing child outlived its importer"

    rest = calldata(store_url, *args)
    assert rest.returncode == 0, rest.stderr
    assert _row(rest.stdout, "Master.csv")[2:] == [str(GENERATED_ROWS), str(GENERATED_ROWS - stored), str(stored), "0"]
    engine = sync_engine(store_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(select(func.count(func.distinct(cdr.c.natkey)))) == GENERATED_ROWS
    finally:
        engine.dispose()
    assert _stored_count(store_url) == GENERATED_ROWS


def _running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                found.append(int(stat.parent.name))
        except OSError:
            continue
    return found


def test_quarantine_list_shortens_only_long_lines() -> None:
    from calldata.cli.quarantine import RAW_SHOWN, _shortened

    assert _shortened("x" * RAW_SHOWN) == "x" * RAW_SHOWN
    assert _shortened("y" * 2000) == "y" * RAW_SHOWN + "… (2000 characters)"
