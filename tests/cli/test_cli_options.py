"""The root options: `--database-url` before or after the subcommand (as the docs show it), `--version`."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import calldata
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

import calldata as package
from calldata.cli import app


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "Master.csv"
    path.write_text('"","100","200","acme","Alice <100>","PJSIP/100-00000001","PJSIP/200-00000002","Dial",'
                    '"PJSIP/200,30","2026-11-02 09:00:00","2026-11-02 09:00:02","2026-11-02 09:01:02","62","60",'
                    '"ANSWERED","DOCUMENTATION","1762074000.1",""\n')
    return path


@pytest.mark.parametrize("form", ["separate", "equals"])
def test_the_store_flag_works_after_the_subcommand(form: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'after.sqlite3'}"
    flag = ["--database-url", url] if form == "separate" else [f"--database-url={url}"]
    imported = CliRunner().invoke(app, ["import", *flag, str(_csv(tmp_path))], env={"CALLDATA_DATABASE_URL": None})
    assert imported.exit_code == 0, imported.output
    with create_engine(url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM cdr")).scalar() == 1
    nested = CliRunner().invoke(app, ["db", "upgrade", *flag])
    assert "".join(nested.stdout.split()) == f"schemauptodate:{url}"  # however Rich wrapped it


def test_a_word_after_double_dash_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "--database-url").write_bytes(b"")  # a file of that name: an empty Master.csv
    result = CliRunner().invoke(app, ["import", "--database-url", url, "--", "--database-url"])
    assert result.exit_code == 0, result.stderr
    assert "0 rows read" in result.stdout and (tmp_path / "store.sqlite3").exists()


def test_version() -> None:
    done = calldata("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"calldata {package.__version__}\n"
