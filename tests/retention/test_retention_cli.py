"""`calldata retention` as an operator runs it: a real process, on PostgreSQL and SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from calldata.store.cdrs import insert_cdrs
from partitioned_store import SIZE, leg, partitioned_store


def calldata(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m calldata ARGS` with only the CALLDATA_* variables given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CALLDATA_")}
    return subprocess.run([sys.executable, "-m", "calldata", *args], env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.postgres
def test_dry_run_then_run_then_import_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with partitioned_store(monkeypatch) as (url, engine):
        with engine.begin() as conn:
            insert_cdrs(conn, [leg(i) for i in range(1500)])
            insert_cdrs(conn, [leg(i, datetime.now(UTC) - timedelta(days=3)) for i in range(5000, 5010)])
        env = {"CALLDATA_DATABASE_URL": url, "CALLDATA_PARTITION_ROWS": str(SIZE)}

        dry = calldata("retention", "--keep", "24mo", "--archive", str(tmp_path), "--dry-run", env=env)
        assert dry.returncode == 0, dry.stderr
        assert f"would archive cdr_from_0 (999 legs, newest leg 2022-03-02 01:38 UTC) to {tmp_path}/cdr-0-1000.cdr-archive.gz, then drop it" in dry.stdout
        assert "would keep cdr_from_1000 and everything after it" in dry.stdout
        assert list(tmp_path.iterdir()) == []

        done = calldata("retention", "--keep", "24mo", "--archive", str(tmp_path), env=env)
        assert done.returncode == 0, done.stderr
        archived = tmp_path / "cdr-0-1000.cdr-archive.gz"
        assert done.stdout.strip() == f"dropped cdr_from_0: 999 legs archived to {archived}"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM cdr")).scalar_one() == 511

        back = calldata("import", str(archived), env=env)
        assert back.returncode == 0, back.stderr
        assert "cdr archive" in back.stdout and "999" in back.stdout
        with engine.connect() as conn:
            assert conn.execute(text("SELECT min(acctid), count(*) FROM cdr")).one() == (1, 1510)

        nothing = calldata("retention", "--keep", "3650d", "--archive", str(tmp_path), env=env)
        assert nothing.returncode == 0 and nothing.stdout.startswith("nothing to drop: no partition has all its legs before")

        refused = calldata("retention", "--keep", "24mo", "--archive", str(tmp_path / "gone"), env=env)
        assert refused.returncode == 1
        assert refused.stderr.strip() == (f"calldata retention: archive folder {tmp_path / 'gone'} does not exist"
                                          " or is not a folder: nothing dropped")


def test_sqlite_says_retention_is_not_there_in_one_line(tmp_path: Path) -> None:
    result = calldata("--database-url", f"sqlite:///{tmp_path / 'c.sqlite3'}", "retention", "--keep", "90d",
                      "--archive", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == "calldata retention: not available on SQLite (it needs PostgreSQL's partitions); nothing done\n"


def test_a_period_that_is_not_one_is_named(tmp_path: Path) -> None:
    result = calldata("retention", "--keep", "two years", "--archive", str(tmp_path))
    assert result.returncode == 2
    said = " ".join(result.stderr.replace("│", " ").split())  # Typer's box, wrapped at its width
    assert "not a retention period: 'two years' (give days, months or years: 90d, 24mo, 2y)" in said
