"""Every list and show command stays readable in an 80-column terminal: no line wider, no value cut."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from calldata.cli import app
from calldata.demo.demo import EXAMPLE_DIRECTORY
from calldata.ingest import checkpoints
from calldata.ingest.sink import Stored

WHEN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")
LONG_POSITION = "/var/log/asterisk/cdr-csv/Master.csv:" + "1234567890" * 3


@pytest.fixture
def run(store_url: str):
    """`calldata ARGS` on the store, in an 80-column terminal."""

    def invoke(*args: str, stdin: str | None = None) -> str:
        result = CliRunner().invoke(app, ["--database-url", store_url, *args], input=stdin,
                                    env={"COLUMNS": "80", "CALLDATA_PASSWORD_HASH_PROFILE": "CHEAPEST"})
        assert result.exit_code == 0, result.output
        return result.stdout

    return invoke


@pytest.fixture
def filled(run, engine: Engine, tmp_path: Path) -> str:
    """A store with a directory, a user with a key, an import with bad lines, a live source; the key."""
    run("directory", "load", str(EXAMPLE_DIRECTORY))
    run("user", "add", "billing", "--name", "Billing system of Acme Widgets", "--home", "acme", "--password-stdin",
        stdin="a password\n")
    run("user", "grant", "billing", "Billing Call-Summary", "-c", "acme")
    key = run("key", "create", "billing", "--name", "nightly billing export").strip().splitlines()[-1]
    master = tmp_path / "Master.csv"
    run("generate", "--rows", "20", "--out", str(master))
    with master.open("a") as stream:
        stream.write("not,a,cdr\n" + "x," * 200 + "\n")
    run("import", str(master))
    with engine.begin() as conn:
        checkpoints.save(conn, "pbx-database", "table", LONG_POSITION, Stored(inserted=12345), None)
    return key


def _readable(output: str) -> None:
    assert output.strip()
    assert max(len(line) for line in output.splitlines()) <= 80
    assert "…" not in output


def test_users_and_keys(run, filled: str) -> None:
    users = run("user", "list")
    _readable(users)
    assert "Billing Call-Summary: acme" in users
    keys = run("key", "list")
    _readable(keys)
    assert filled[:12] in keys and "nightly billing export" in keys and WHEN.search(keys)
    audit = run("user", "audit")
    _readable(audit)
    assert WHEN.search(audit) and "key_created" in audit


def test_directory_and_attribution(run, filled: str) -> None:
    directory = run("directory", "show")
    _readable(directory)
    assert "Globex Corporation" in directory and "IAX2/carrier1" in directory
    _readable(run("attribution", "report"))


def test_quarantine_import_and_ingest(run, filled: str, tmp_path: Path) -> None:
    quarantined = run("quarantine", "list")
    _readable(quarantined)
    assert str(tmp_path / "Master.csv") in "".join(quarantined.split())  # folded, not cut
    assert WHEN.search(quarantined)
    again = run("import", str(tmp_path / "Master.csv"))
    _readable(again)
    assert "cdr_csv+loguniqueid+loguserfield+newcdrcolumns" in again
    status = run("ingest", "status")
    _readable(status)
    assert "pbx-database" in status and "12345" in status
