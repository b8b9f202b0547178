"""`calldata recordings scan` as a user runs it: the summary, a rescan, and no directory at all."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from calldata.cli import app
from recorded_tree import recordings_tree


def test_a_scan_says_what_it_did_and_a_rescan_finds_nothing_new(world: Engine, store_url: str, tmp_path: Path) -> None:
    root = recordings_tree(tmp_path / "monitor")
    (root / "nobody.wav").write_bytes(b"RIFF")
    env = {"CALLDATA_DATABASE_URL": store_url, "CALLDATA_RECORDINGS_DIR": str(root), "COLUMNS": "200"}
    first = CliRunner().invoke(app, ["recordings", "scan"], env=env)
    assert first.exit_code == 0, first.output
    assert "3 recordings; 3 added, 0 updated, 0 forgotten" in first.output
    assert "1 not tied to a leg yet (no CDR names them): nobody.wav" in first.output
    (root / "nobody.wav").unlink()
    again = CliRunner().invoke(app, ["recordings", "scan", "--dir", str(root)], env={**env, "CALLDATA_RECORDINGS_DIR": None})
    assert "2 recordings; 0 added, 0 updated, 1 forgotten" in again.output


def test_without_a_directory_it_says_so_in_one_line(store_url: str) -> None:
    done = CliRunner().invoke(app, ["recordings", "scan"], env={"CALLDATA_DATABASE_URL": store_url,
                                                                 "CALLDATA_RECORDINGS_DIR": None})
    assert done.exit_code == 2
    assert done.output.strip() == "calldata recordings scan: no directory (set CALLDATA_RECORDINGS_DIR or give --dir)"
    missing = CliRunner().invoke(app, ["recordings", "scan"], env={"CALLDATA_RECORDINGS_DIR": "/no/such/folder"})
    assert missing.exit_code == 2
    assert missing.output.strip() == "calldata: CALLDATA_RECORDINGS_DIR: not a directory: '/no/such/folder' (give the folder MixMonitor writes to, or leave it unset)"
