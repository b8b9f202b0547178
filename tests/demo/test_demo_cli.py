"""`calldata generate` and `calldata demo --no-serve` as a user runs them: a real process in a fresh directory."""

from __future__ import annotations

import os
import shlex
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from demo_support import DIRECTORY_YAML, REPO, STORIES, STORY_LAYOUT, world
from servers import free_port

from calldata.cdr import Cdr
from calldata.demo.generator import generate
from calldata.ingest.csvfile import detect_layout, raw_records, read_cdrs
from calldata.ingest.layouts import LAYOUTS

PYTHON = REPO / ".venv" / "bin" / "python"


def _run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CALLDATA_")}
    environ.update(env or {})
    executable = str(PYTHON) if PYTHON.exists() else sys.executable
    done = subprocess.run([executable, "-m", "calldata", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def _parse(path: Path) -> list[Cdr]:
    with path.open("rb") as stream:
        layout = detect_layout(raw_records(stream, limit=200))
        stream.seek(0)
        assert layout == LAYOUTS[STORY_LAYOUT]
        return [p.result for p in read_cdrs(stream, layout, UTC)]  # type: ignore[misc]


def test_generate_writes_the_rows_of_the_packaged_directory(tmp_path: Path) -> None:
    done = _run(tmp_path, "generate", "--rows", "4000", "--out", "cdr.csv", "--seed", "9", "--days", "5",
                "--start", "2026-10-05")
    written = _parse(tmp_path / "cdr.csv")
    assert written == list(generate(world(), rows=4000, seed=9, days=5, start=datetime(2026, 10, 5, tzinfo=UTC)))
    assert "4,000 rows" in done.stderr


def test_generate_with_another_directory(tmp_path: Path) -> None:
    other = tmp_path / "pbx.yaml"
    other.write_text(DIRECTORY_YAML.read_text().replace("IAX2/acme-", "PJSIP/acme-"))
    _run(tmp_path, "generate", "--rows", "500", "--out", "cdr.csv", "--directory", str(other))
    rows = _parse(tmp_path / "cdr.csv")
    pjsip = [r.channel for r in rows if r.channel.startswith("PJSIP/acme-")]
    assert pjsip and all(len(c.rsplit("-", 1)[1]) == 8 for c in pjsip)  # chan_pjsip's %08x suffix


def test_a_bad_directory_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "pbx.yaml"
    bad.write_text("companies:\n  acme:\n    name: Acme\n    extensions:\n      '201': {name: A, type: phone}\n")
    done = subprocess.run([str(PYTHON), "-m", "calldata", "generate", "--rows", "5", "--out", "x.csv",
                           "--directory", str(bad)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"{bad}:5:" in done.stderr.replace("\n", "")


def test_demo_fills_its_own_sqlite_file_then_reuses_it(tmp_path: Path) -> None:
    first = _run(tmp_path, "demo", "--rows", "1500", "--no-serve", "--port", "8765")
    database = tmp_path / "calldata-demo.sqlite3"
    assert database.exists()
    with sqlite3.connect(database) as conn:
        count, undecided = conn.execute("SELECT count(*), sum(company IS NULL) FROM cdr").fetchone()
        versions = conn.execute("SELECT count(*) FROM directory_version").fetchone()[0]
    assert (count, undecided, versions) == (1500, 0, 1)
    assert "curl" in first.stdout and "http://127.0.0.1:8765/rest/call/read" in first.stdout
    key = next(line.split()[-1] for line in first.stdout.splitlines() if line.startswith("admin API key:"))
    assert f"Bearer {key}" in first.stdout
    again = _run(tmp_path, "demo", "--rows", "1500", "--no-serve")
    assert "already stored" in again.stderr
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM cdr").fetchone()[0] == 1500
        assert conn.execute("SELECT count(*) FROM directory_version").fetchone()[0] == 1


def test_demo_uses_the_database_it_is_given(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.sqlite3"
    _run(tmp_path, "demo", "--rows", "300", "--no-serve", env={"CALLDATA_DATABASE_URL": f"sqlite:///{target}"})
    assert not (tmp_path / "calldata-demo.sqlite3").exists()
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM cdr").fetchone()[0] == 300


def test_demo_serves_and_the_printed_curl_works(tmp_path: Path) -> None:
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CALLDATA_")}
    environ["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen([str(PYTHON), "-m", "calldata", "demo", "--rows", "800", "--port", str(port)],
                               cwd=tmp_path, env=environ, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    try:
        assert process.stdout is not None
        printed = []
        for line in process.stdout:
            printed.append(line)
            if "curl" in line and "Bearer" in line:
                break
        command = shlex.split(printed[-1].strip())
        assert command[:2] == ["curl", "-s"]
        headers = {command[i + 1].split(": ", 1)[0]: command[i + 1].split(": ", 1)[1]
                   for i, arg in enumerate(command) if arg == "-H"}
        body = command[command.index("-d") + 1]
        url = command[-1]
        assert url == f"http://127.0.0.1:{port}/rest/call/read"
        deadline = time.monotonic() + 60
        while True:  # the server starts after the lines are printed
            try:
                answer = httpx.post(url, headers=headers, content=body, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.2)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert page["result"] == "success" and page["numRows"] == 5
        assert all(row["properties"].get("company") is not None for row in page["values"])
    finally:
        process.terminate()
        process.wait(30)


def test_generate_to_an_unwritable_place_says_so(tmp_path: Path) -> None:
    done = subprocess.run([str(PYTHON), "-m", "calldata", "generate", "--rows", "5", "--out",
                           str(tmp_path / "missing" / "x.csv")], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert "cannot write" in done.stderr and "Traceback" not in done.stderr


def test_demo_refuses_a_database_with_other_cdrs(tmp_path: Path) -> None:
    target = tmp_path / "production.sqlite3"
    url = f"sqlite:///{target}"
    _run(tmp_path, "import", str(STORIES / "all" / "Master.csv"), env={"CALLDATA_DATABASE_URL": url})
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CALLDATA_")}
    done = subprocess.run([str(PYTHON), "-m", "calldata", "--database-url", url, "demo", "--rows", "50", "--no-serve"],
                          cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "did not generate" in done.stderr.replace("\n", " ")
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM cdr").fetchone()[0] == 32
        assert conn.execute("SELECT count(*) FROM directory_version").fetchone()[0] == 0
