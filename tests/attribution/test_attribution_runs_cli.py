"""Each recorded run as an operator loads it: `calldata directory load`, `calldata import` of its
Master.csv, then `calldata attribution report`, on SQLite and PostgreSQL.

Every row gets the properties its story expects, and the report shows every property decided
on every row (nothing undecided, no unknown channel, unclaimed context or number without a target).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from calldata.cli import app
from calldata.store.schema import cdr
from stories import DIRECTORY_YAML, RUNS, run_expected


def calldata(store_url: str, *args: str) -> str:
    result = CliRunner().invoke(app, ["--database-url", store_url, *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
def test_an_imported_run_is_decided_in_full_and_the_report_says_so(store_url: str, engine: Engine, run: Path) -> None:
    wanted = run_expected(run)
    calldata(store_url, "directory", "load", str(DIRECTORY_YAML))
    imported = calldata(store_url, "import", str(run / "all" / "Master.csv"))
    assert f"{len(wanted)} rows read" in imported

    with engine.connect() as conn:
        stored = {(r.uniqueid, r.sequence): r._mapping for r in conn.execute(select(cdr))}
    assert set(stored) == set(wanted)
    mismatches = [f"{key} {name}: got {stored[key][name]!r}, want {value!r}"
                  for key, want in wanted.items() for name, value in want.items() if stored[key][name] != value]
    assert mismatches == []

    report = json.loads(calldata(store_url, "attribution", "report", "--json"))
    assert (report["rows"], report["unattributed"], report["company_or_target"]) == (len(wanted), 0, len(wanted))
    assert report["directory_version"] == 1
    assert {name: count for name, count in report["missing"].items() if count} == {}
    assert (report["channels"], report["contexts"], report["numbers"]) == ([], [], [])
    shown = calldata(store_url, "attribution", "report")  # the table an operator reads
    assert f"{len(wanted)} rows; directory version 1; 0 never attributed" in shown
    assert f"company or target decided: {len(wanted)} (100.00%)" in shown
