"""The long-running commands log one line per event with ISO-8601 times, say how each live source
is doing at a steady pace, keep Alembic's start-up chatter out, and wait out a store not up yet."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cli_support import environment
from servers import free_port
from typer.testing import CliRunner

from calldata.cli import app

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (INFO|WARNING|ERROR) [\w.]+: ")


def _lines_of(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's stderr lines as they come ("" once it ends), read by a thread of their own."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.put(line)
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    return lines


def _sources(tmp_path: Path) -> Path:
    """A sources file following tmp_path/Master.csv."""
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - kind: file\n    name: master\n    path: {tmp_path / 'Master.csv'}\n")
    return sources


@pytest.mark.parametrize("command", ["serve --ingest", "ingest run"])
def test_live_sources_log_their_progress(command: str, store_url: str, tmp_path: Path) -> None:
    master = tmp_path / "Master.csv"
    assert CliRunner().invoke(app, ["generate", "--rows", "20", "--out", str(master)]).exit_code == 0
    sources = _sources(tmp_path)
    args = (["serve", "--port", str(free_port()), "--ingest", str(sources)] if command == "serve --ingest"
            else ["ingest", "run", "--config", str(sources)])
    proc = subprocess.Popen(
        [sys.executable, "-m", "calldata", "--database-url", store_url, *args],
        env=environment({"CALLDATA_INGEST_PROGRESS_SECONDS": "1"}),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    lines: list[str] = []
    said = _lines_of(proc)

    def read_until(text: str) -> None:
        deadline = time.monotonic() + 60
        start = len(lines)
        while not (len(lines) > start and text in lines[-1]):
            try:
                lines.append(said.get(timeout=max(deadline - time.monotonic(), 0)))
            except queue.Empty:
                pytest.fail(f"no line with {text!r} within 60 s:\n{''.join(lines)}")
            assert lines[-1], "".join(lines)  # the process ended

    try:
        read_until("(20 since start)")
        read_until("rows stored")  # the next period's line: it comes though nothing happened
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    for line in lines:
        assert ISO.match(line), line
    assert not [line for line in lines if "Context impl" in line or "Will assume" in line]
    progress = [line.rstrip() for line in lines if "INFO calldata.ingest: master: " in line and "rows stored" in line]
    assert re.search(r"master: \d+ rows stored in the last \d+ s \(20 since start\), 0 quarantined, "
                     r"0 already present; lag \d+\.\d s$", progress[-2])
    assert re.search(r"master: 0 rows stored in the last \d+ s \(20 since start\)", progress[-1])


def test_ingest_run_waits_out_a_store_not_up_yet_one_line_each_try(tmp_path: Path) -> None:
    """docs/ingest.md: an unreachable store at start-up is logged and retried, never fatal."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "calldata", "ingest", "run", "--config", str(_sources(tmp_path))],
        env=environment({"CALLDATA_DATABASE_URL": f"postgresql://calldata:s3cret@127.0.0.1:{free_port()}/calldata"}),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    said = _lines_of(proc)
    try:
        lines = [said.get(timeout=60) for _ in range(2)]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    rest = "".join(iter(lambda: said.get(timeout=10), ""))
    assert proc.returncode == 0
    for line in lines:
        assert ISO.match(line), line
        assert "WARNING calldata.ingest: store unavailable, retrying: store postgresql+psycopg://calldata:***@127.0.0.1:" in line
        assert line.rstrip().endswith("Connection refused")
    assert "Traceback" not in rest
