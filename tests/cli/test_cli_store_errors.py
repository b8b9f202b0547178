"""A store calldata cannot use (no URL, an unsupported database, a missing SQLite folder, no such
database, nothing listening) ends every command with one line naming it, password hidden."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_support import calldata
from servers import free_port
from sqlalchemy import make_url
from typer.testing import CliRunner

from calldata.cli import app

SOURCES = "sources:\n  - kind: file\n    name: master\n    path: {path}\n"


def _missing_folder(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'no-such-folder' / 'calldata.sqlite3'}"


def _no_such_database() -> str:
    server = os.environ.get("CALLDATA_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("CALLDATA_TEST_POSTGRES_URL is not set")
    return make_url(server).set(database="calldata_no_such_database", password="s3cret").render_as_string(False)


def _nothing_listening() -> str:
    return f"postgresql://calldata:s3cret@127.0.0.1:{free_port()}/calldata"


# every command that opens the store, with the arguments it needs to get that far
COMMANDS: list[list[str]] = [
    ["db", "upgrade"],
    ["import", "{csv}"],
    ["quarantine", "list"],
    ["user", "add", "ann", "--password-stdin"],
    ["user", "list"],
    ["user", "passwd", "ann", "--password-stdin"],
    ["user", "grant", "ann", "System-Admin"],
    ["user", "revoke", "ann", "System-Admin"],
    ["user", "disable", "ann"],
    ["user", "audit"],
    ["key", "create", "ann"],
    ["key", "list"],
    ["key", "revoke", "1"],
    ["directory", "load", "{directory}"],
    ["directory", "show"],
    ["directory", "export"],
    ["attribution", "report"],
    ["reprocess"],
    ["ingest", "status"],
    ["demo", "--no-serve", "--rows", "10"],
    ["dashboards", "refresh"],
    ["reports", "refresh"],
]


def _files(tmp_path: Path) -> dict[str, str]:
    csv = tmp_path / "Master.csv"
    csv.write_text("")
    directory = tmp_path / "directory.yaml"
    directory.write_text("companies: {}\n")
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES.format(path=csv))
    return {"csv": str(csv), "directory": str(directory), "sources": str(sources)}


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("kind", ["garbage", "mysql", "missing folder"])
def test_every_command_names_the_store_in_one_line(command: list[str], kind: str, tmp_path: Path) -> None:
    url = {"garbage": "garbage", "mysql": "mysql://calldata:s3cret@db/cdr",
           "missing folder": _missing_folder(tmp_path)}[kind]
    args = [arg.format(**_files(tmp_path)) for arg in command]
    result = CliRunner().invoke(app, args, env={"CALLDATA_DATABASE_URL": url}, input="pw\n")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("calldata: store ")
    assert "s3cret" not in line
    assert not (tmp_path / "no-such-folder").exists()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (lambda tmp: "garbage", "store 'garbage': not a database URL"),
        (lambda tmp: "", "store '': not a database URL"),
        (lambda tmp: "mysql://calldata:s3cret@db/cdr", "store mysql://calldata:***@db/cdr: unsupported database 'mysql'"),
        (lambda tmp: "postgresql://calldata:s3cret@db:notaport/cdr", "store postgresql+psycopg://calldata:***@db:notaport/cdr: "),
        (_missing_folder, "the folder {tmp}/no-such-folder does not exist"),
        (lambda tmp: _nothing_listening(), "Connection refused"),
        pytest.param(lambda tmp: _no_such_database(), 'database "calldata_no_such_database" does not exist',
                     marks=pytest.mark.postgres),
    ],
    ids=["garbage", "empty", "mysql", "bad port", "missing folder", "nothing listening", "no such database"],
)
def test_db_upgrade_says_what_is_wrong_with_the_store(url, problem: str, tmp_path: Path) -> None:  # noqa: ANN001
    done = calldata("db", "upgrade", env={"CALLDATA_DATABASE_URL": url(tmp_path)})
    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("calldata: store ")
    assert problem.format(tmp=tmp_path) in line
    assert "s3cret" not in line


@pytest.mark.parametrize("url", ["garbage", "missing folder", "nothing listening"])
@pytest.mark.parametrize("ingest", [False, True], ids=["serve", "serve --ingest"])
def test_serve_names_the_store_in_one_line(url: str, ingest: bool, tmp_path: Path) -> None:
    store = {"garbage": "garbage", "missing folder": _missing_folder(tmp_path), "nothing listening": _nothing_listening()}[url]
    extra = ["--ingest", _files(tmp_path)["sources"]] if ingest else []
    done = calldata("serve", "--port", str(free_port()), *extra, env={"CALLDATA_DATABASE_URL": store})
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("calldata: store ") and "s3cret" not in line


@pytest.mark.parametrize("url", ["garbage", "missing folder"])
def test_ingest_run_stops_at_once_on_a_url_that_can_never_work(url: str, tmp_path: Path) -> None:
    store = {"garbage": "garbage", "missing folder": _missing_folder(tmp_path)}[url]
    done = calldata("ingest", "run", "--config", _files(tmp_path)["sources"], env={"CALLDATA_DATABASE_URL": store})
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("calldata: store ")



@pytest.mark.parametrize("store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_serve_names_an_unreachable_read_replica_in_one_line(store_url: str) -> None:
    replica = _nothing_listening()
    done = calldata("serve", "--port", str(free_port()),
                    env={"CALLDATA_DATABASE_URL": store_url, "CALLDATA_READ_DATABASE_URL": replica})
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("calldata: store postgresql+psycopg://calldata:***@127.0.0.1:") and "s3cret" not in line
