"""`calldata export` as a real subprocess: CSV and NDJSON equal the stored rows; bad arguments stop it in one line."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from calldata.calls.page import by_first_id
from calldata.store.calls import CallScope
from export.expected import ZONE, as_csv, read_rows

NOVEMBER = ["--from", "2026-11-01", "--to", "2026-11-30"]


def export(store_url: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "calldata", "--database-url", store_url, "export", *args],
                          capture_output=True, env={**os.environ, "CALLDATA_DISPLAY_TZ": ZONE}, timeout=120)


def test_csv_parses_back_to_the_stored_rows(store_url: str, world: Engine, tmp_path: Path) -> None:
    out = tmp_path / "legs.csv"
    done = export(store_url, *NOVEMBER, "--out", str(out))
    assert done.returncode == 0, done.stderr
    with out.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert rows == [as_csv(row) for row in read_rows(world)]
    assert out.read_bytes().count(b"\r\n") == len(rows) + 1 + out.read_bytes().count(b"\r\n\r\n")


def test_one_company_with_a_bom(store_url: str, world: Engine, tmp_path: Path) -> None:
    out = tmp_path / "globex.csv"
    assert export(store_url, *NOVEMBER, "--company", "globex", "--bom", "--out", str(out)).returncode == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfacctid,")
    with out.open(newline="", encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    assert rows and rows == [as_csv(row) for row in read_rows(world, {"globex"})]


def test_ndjson_legs_are_the_read_rows_and_calls_the_calls(store_url: str, world: Engine) -> None:
    legs = export(store_url, *NOVEMBER, "--format", "ndjson")
    calls = export(store_url, *NOVEMBER, "--format", "ndjson", "--kind", "calls")
    assert legs.returncode == 0 and calls.returncode == 0, (legs.stderr, calls.stderr)
    assert [json.loads(line) for line in legs.stdout.splitlines()] == read_rows(world)
    with world.connect() as conn:
        built = by_first_id(conn, CallScope(), 10_000, ZoneInfo(ZONE))
    assert [json.loads(line) for line in calls.stdout.splitlines()] == built


def test_calls_as_csv_one_row_per_call(store_url: str, world: Engine) -> None:
    done = export(store_url, *NOVEMBER, "--kind", "calls")
    rows = list(csv.DictReader(done.stdout.decode().splitlines()))
    with world.connect() as conn:
        built = by_first_id(conn, CallScope(), 10_000, ZoneInfo(ZONE))
    assert [row["call"] for row in rows] == [call["call"] for call in built]
    assert [row["legs"] for row in rows] == [" ".join(map(str, call["legs"])) for call in built]
    transfer = next(row for row in rows if row["call"] == "1795917983.42")
    assert json.loads(transfer["events"])[0]["type"] == "transfer" and transfer["outcome"] == "answered"


def test_the_window_is_whole_days_in_the_display_zone(store_url: str, world: Engine) -> None:
    after = export(store_url, "--from", "2026-11-30", "--to", "2026-12-31")
    assert after.returncode == 0 and after.stdout.decode().count("\n") == 1  # the header alone
    day = export(store_url, "--from", "2026-11-29", "--to", "2026-11-29")
    assert len(list(csv.DictReader(day.stdout.decode().splitlines()))) == len(read_rows(world))


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-11-31", "--to", "2026-12-01"], "--from: not a date"),
    (["--from", "2026-11-02", "--to", "2026-11-01"], "--to: 2026-11-01 is before --from"),
    ([*NOVEMBER, "--kind", "rows"], "--kind: one of legs, calls"),
    ([*NOVEMBER, "--format", "xlsx"], "--format: one of csv, ndjson"),
    ([*NOVEMBER, "--company", "initech"], "--company: 'initech' is not a company"),
])
def test_bad_arguments_stop_in_one_line_and_write_nothing(store_url: str, world: Engine, tmp_path: Path,
                                                          args: list[str], message: str) -> None:
    out = tmp_path / "exported" / "out.csv"
    out.parent.mkdir()
    done = export(store_url, *args, "--out", str(out))
    assert done.returncode == 2
    assert done.stderr.decode().count("\n") == 1 and message in done.stderr.decode()
    assert list(out.parent.iterdir()) == []


def test_a_bad_database_url_stops_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    done = export("postgresql://nobody@127.0.0.1:1/none", *NOVEMBER, "--out", str(out))
    # as every command (docs/deployment.md): one line naming the store, exit status 1
    assert done.returncode == 1 and done.stderr.decode().count("\n") == 1, done.stderr
    assert done.stderr.startswith(b"calldata: store ") and list(tmp_path.iterdir()) == []
