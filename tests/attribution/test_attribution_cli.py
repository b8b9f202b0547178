"""`calldata directory ...`, `calldata reprocess` and `calldata attribution report` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from calldata.cli import app
from calldata.ingest.sink import store_batch
from calldata.store.schema import cdr
from stories import DIRECTORY_YAML, STORIES, read_master_csv

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def run(store_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--database-url", store_url, *args])
    return result.exit_code, result.stdout, result.stderr


def test_directory_load_show_export(store_url: str) -> None:
    code, out, _ = run(store_url, "directory", "load", str(DIRECTORY_YAML))
    assert code == 0 and "directory version 1" in out
    code, out, _ = run(store_url, "directory", "show")
    assert code == 0 and "Acme Ltd" in out and "carrier1" in out
    code, out, _ = run(store_url, "directory", "export")
    assert code == 0 and out == DIRECTORY_YAML.read_text()


def test_bad_directory_is_refused_with_file_and_line(store_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(DIRECTORY_YAML.read_text().replace('"441908276652": "250"', '"441908276652": "299"'))
    line = next(i for i, text in enumerate(bad.read_text().splitlines(), 1) if '"299"' in text)
    code, _, err = run(store_url, "directory", "load", str(bad))
    assert code == 1 and f"{bad}:{line}:" in err and "nothing was loaded" in err
    code, _, err = run(store_url, "directory", "show")
    assert code == 1 and "no directory loaded" in err


def test_rows_stored_before_the_directory_are_attributed_by_reprocess(store_url: str, engine: Engine) -> None:
    with engine.begin() as conn:
        store_batch(conn, read_master_csv(STORIES / "all" / "Master.csv"))
    undecided = select(func.count()).select_from(cdr).where(cdr.c.company.is_(None))
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(cdr)).scalar_one()
        assert conn.execute(undecided).scalar_one() == total
    assert run(store_url, "directory", "load", str(DIRECTORY_YAML))[0] == 0
    code, out, _ = run(store_url, "reprocess", "--batch", "10")
    assert code == 0 and f"{total} rows changed" in out
    with engine.connect() as conn:
        assert conn.execute(undecided).scalar_one() == 0
    code, out, _ = run(store_url, "reprocess")
    assert code == 0 and "0 rows changed" in out
    code, out, _ = run(store_url, "attribution", "report", "--json", "--since", "2026-11-29")
    report = json.loads(out)
    assert code == 0 and report["rows"] == total and report["company_or_target"] == total
    code, out, _ = run(store_url, "attribution", "report", "--until", "2026-11-29")
    assert code == 0 and "0 rows" in out
