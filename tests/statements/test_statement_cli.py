"""`calldata statement` as a real subprocess: CSV with the hand-worked amounts, printable HTML
with nothing fetched from elsewhere, the carriers, and one line for a bad argument."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from rated_world import load_rated_world

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def calldata(store_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80", "CALLDATA_DISPLAY_TZ": "UTC"}
    return subprocess.run([sys.executable, "-m", "calldata", "--database-url", store_url, "statement", *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def test_csv_statement(store_url: str, engine: Engine, tmp_path: Path) -> None:
    load_rated_world(engine)
    out = tmp_path / "acme.csv"
    done = calldata(store_url, "--company", "acme", "--month", "2026-11", "--format", "csv", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().decode().splitlines() == [
        "section,key,name,currency,calls,minutes,amount",
        "destination,UK Geographic,,GBP,7,1.07,0.1400",  # 10+10+11+10+4+9+10 s = 64 s
        "destination,UK Mobile,,GBP,2,0.40,0.0800",  # 11+13 s
        "extension,201,Alice,GBP,3,0.52,0.0800",
        "extension,202,Bob,GBP,3,0.48,0.0600",
        "extension,203,Carol,GBP,2,0.28,0.0600",
        "extension,acme-remote,,GBP,1,0.18,0.0200",
        "unpriced,,,,0,0.00,",
        "total,,,GBP,9,1.47,0.2200",
    ]


def test_html_statement_prints_offline(store_url: str, engine: Engine) -> None:
    load_rated_world(engine)
    done = calldata(store_url, "--company", "acme", "--month", "2026-11", "--format", "html")
    assert done.returncode == 0, done.stderr
    page = done.stdout
    assert page.startswith("<!doctype html>") and "@media print" in page and "@page" in page
    assert "http" not in page and "<script" not in page and "<link" not in page  # no CDN, nothing fetched
    assert "<td>201 Alice</td>" in page and "0.2200 GBP" in page


def test_carriers_table_and_csv(store_url: str, engine: Engine) -> None:
    load_rated_world(engine)
    table = calldata(store_url, "--carriers", "--month", "2026-11")
    assert table.returncode == 0, table.stderr
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    done = calldata(store_url, "--carriers", "--month", "2026-11", "--format", "csv")
    assert done.stdout.splitlines() == ["trunk,calls,minutes,uncosted,unpriced,currency,cost,price,margin",
                                        "carrier1,9,1.47,0,0,GBP,0.0104,0.2200,0.2096",
                                        "globexgw,4,0.48,4,0,GBP,,0.1000,"]


@pytest.mark.parametrize(("args", "named"), [
    (["--month", "2026-11"], "--company"),
    (["--company", "acme", "--carriers"], "--company"),
    (["--company", "acme", "--month", "2026-13"], "--month"),
    (["--company", "acme", "--month", "11/2026"], "--month"),
    (["--company", "nobody", "--month", "2026-11"], "--company"),
])
def test_a_bad_argument_stops_with_one_line(store_url: str, world: Engine, args: list[str], named: str) -> None:
    done = calldata(store_url, *args)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and named in done.stderr and "Traceback" not in done.stderr
