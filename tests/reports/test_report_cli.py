"""`calldata report` as a real subprocess: the API's data as tables or JSON; a bad argument is one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import Engine

from calldata.reports.build import report
from calldata.reports.request import ReportRequest
from rated_world import load_rated_world

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def calldata(store_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80", "CALLDATA_DISPLAY_TZ": "UTC"}
    return subprocess.run([sys.executable, "-m", "calldata", "--database-url", store_url, "report", *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def test_json_is_the_apis_values(store_url: str, world: Engine) -> None:
    done = calldata(store_url, "outcalls", "--company", "acme", "--month", "2026-11", "--json")
    with world.connect() as conn:
        expected = report(conn, "outcalls", ReportRequest(("acme",), 2026, 11), "UTC")
    assert done.returncode == 0 and json.loads(done.stdout) == expected


def test_tables_fit_80_columns_and_say_what_happened(store_url: str, world: Engine) -> None:
    done = calldata(store_url, "incalls", "--company", "acme", "--month", "2026-11", "--day", "29",
                    "--extension", "202", "--extension", "203")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0].startswith("202 Bob (") and any(line.startswith("203 Carol (") for line in lines)
    assert "Picked up by 203" in done.stdout and "Busy" in done.stdout and "acctid" in done.stdout


@pytest.mark.parametrize(("args", "named"), [
    (["incalls", "--company", "acme", "--month", "2026-13"], "scope.month"),
    (["incalls", "--company", "acme", "--month", "11/2026"], "--month"),
    (["incalls", "--company", "acme", "--month", "2026-11", "--day", "31"], "scope.day"),
    (["incalls", "--company", "nobody", "--month", "2026-11"], "scope.company"),
    (["outcalls", "--company", "acme", "--extension", "201"], "--extension"),
    (["calls", "--company", "acme"], "unknown report"),
])
def test_a_bad_argument_stops_with_one_line(store_url: str, world: Engine, args: list[str], named: str) -> None:
    done = calldata(store_url, *args)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and named in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("url", ["nosuch://x", "postgresql://nobody@127.0.0.1:1/none"])
def test_a_bad_database_url_stops_with_one_line(store_url: str, url: str) -> None:
    done = calldata(url, "incalls", "--company", "acme")
    # as every command (docs/deployment.md): one line naming the store, exit status 1
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("calldata: store ")


def test_outcalls_show_each_priced_call_and_the_devices_cost(store_url: str, engine: Engine) -> None:
    load_rated_world(engine)
    done = calldata(store_url, "outcalls", "--company", "acme", "--month", "2026-11", "--device", "IAX2/acme-201",
                    "--recalc")
    assert done.returncode == 0, done.stderr
    # two calls to 01632 960555 at 0.0200 each (uk-retail UK Geographic, one minute)
    assert done.stdout.startswith("IAX2/acme-201 Alice (") and "s, 0.0400 GBP)" in done.stdout.splitlines()[0]
    assert done.stdout.count("0.0200") == 2 and "National" in done.stdout
