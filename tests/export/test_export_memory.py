"""An export of ~200k rows keeps the exporting process's memory flat: `calldata export` and
`calldata serve` are real subprocesses whose RSS is sampled from /proc while they stream."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select

from api.api_helpers import issue_key
from calldata.demo.demo import EXAMPLE_DIRECTORY
from calldata.attribution.directory import parse_directory
from calldata.demo.generator import generate
from calldata.store.cdrs import insert_cdrs
from calldata.store.schema import cdr
from servers import serving_process

ROWS = 200_000
GROWTH_LIMIT = 60 * 2**20  # bytes; the 200k rows alone take several hundred MB as Python objects
START = datetime(2026, 1, 1, tzinfo=UTC)


def fill(engine: Engine, count: int = ROWS) -> None:
    """`count` generated legs, stored without attribution (the export reads them as they are)."""
    directory = parse_directory(EXAMPLE_DIRECTORY.read_text(), str(EXAMPLE_DIRECTORY))
    rows = generate(directory, rows=count, seed=7, start=START, days=28)
    with engine.begin() as conn:
        while batch := list(islice(rows, 10_000)):
            insert_cdrs(conn, batch)
        assert conn.execute(select(func.count()).select_from(cdr)).scalar_one() == count


def rss(pid: int) -> int:
    """The process's resident set size in bytes (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except FileNotFoundError:
        pass
    return 0


@contextmanager
def sampling(pid: int) -> Iterator[list[int]]:
    """RSS samples of `pid` taken every 10 ms while the block runs."""
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            if value := rss(pid):
                samples.append(value)
            stop.wait(0.01)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    try:
        yield samples
    finally:
        stop.set()
        watcher.join()


def test_cli_and_server_export_in_constant_memory(store_url: str, engine: Engine, tmp_path: Path) -> None:
    fill(engine)
    cli_export(store_url, tmp_path)
    served_export(store_url, engine)


def cli_export(store_url: str, tmp_path: Path) -> None:
    """`calldata export` of every row to a file: RSS from its first written byte to its end."""
    out = tmp_path / "legs.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "calldata", "--database-url", store_url, "export", "--from", "2025-12-01",
         "--to", "2026-03-01", "--out", str(out)], stderr=subprocess.PIPE, env={**os.environ})
    partial = out.with_name(out.name + ".part")
    baseline = 0
    with sampling(proc.pid) as samples:
        while proc.poll() is None and not baseline:  # the header is written: the export loop starts
            if partial.exists() and partial.stat().st_size:
                baseline = rss(proc.pid)
            time.sleep(0.005)
        assert proc.wait(timeout=600) == 0, proc.stderr.read() if proc.stderr else ""
    assert baseline, "the export ended before it could be watched"
    assert out.read_bytes().count(b"\n") >= ROWS + 1
    assert max(samples) - baseline < GROWTH_LIMIT, ("cli", baseline, max(samples))


def served_export(store_url: str, engine: Engine) -> None:
    """POST /rest/call/export of every row from `calldata serve`: RSS after a warm-up export to its end."""
    key = issue_key(engine)
    with serving_process(store_url) as (base, proc):
        headers = {"authorization": f"Bearer {key}"}
        warm = httpx.post(f"{base}/rest/call/export", json={"scope": {"minDate": 0, "maxDate": 1}},
                          headers=headers, timeout=60)
        assert warm.status_code == 200 and warm.text.count("\n") == 1
        baseline = rss(proc.pid)
        lines = 0
        with sampling(proc.pid) as samples:
            with httpx.stream("POST", f"{base}/rest/call/export", json={"scope": {}}, headers=headers,
                              timeout=600) as answer:
                assert answer.status_code == 200
                for chunk in answer.iter_bytes():
                    lines += chunk.count(b"\n")
    assert lines >= ROWS + 1
    assert max(samples) - baseline < GROWTH_LIMIT, ("serve", baseline, max(samples))
