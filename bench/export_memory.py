"""Benchmark: memory of a 5,000,000-leg CSV export, through `calldata export` and `calldata serve`.

Usage: .venv/bin/python bench/export_memory.py [--rows 5000000] [--block 500000] [--interval 0.5]
                                                [--admin-url URL] [--url URL] [--keep]

Proves the export's constant memory at a size where a leak would show ("RSS flat while exporting
5M rows"): tests/export/test_export_memory.py checks 200k rows on every run; this is the big one,
too slow for a test. It builds a scratch PostgreSQL store quickly: `--block` generated attributed
legs COPYed in from Python (bench/read_api.py's `load`), then copied inside PostgreSQL as other
tenants until the table holds `--rows` (bench/reports.py's `copy_block`: INSERT ... SELECT, the
secondary indexes dropped and rebuilt). `--url` exports an existing store instead (`--keep` leaves
the scratch one for that).

Then every leg is exported as CSV (a) by a `calldata export --out FILE` subprocess and (b) by
`POST /rest/call/export` from a `calldata serve` subprocess (one request, a billing key), and the
exporting process's VmRSS (/proc/PID/status) is sampled every `--interval` seconds. Progress is
bytes written (the file's size; bytes received over HTTP) over the final size. It prints the RSS
when the first byte is out, at 10%, 50% and 90% of progress, the max, and rows/s, with COPY of the
same columns (bench/export.py's floor) for scale.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

from calldata.store.engine import sync_engine, upgrade
from calldata.store.scratch import scratch_database
from export import WINDOW, copy_csv
from read_api import ADMIN_URL, billing_key, load, machine, serving
from reports import copy_block

MB = 2**20


def rss(pid: int) -> int:
    """The process's resident set size in bytes (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


@dataclass
class Run:
    """One export: (seconds, bytes out, RSS) every interval, and what it produced."""

    samples: list[tuple[float, int, int]] = field(default_factory=list)
    rows: int = 0
    size: int = 0
    seconds: float = 0.0


class Sampler:
    """Samples `pid`'s RSS and `done()` (bytes out so far) every `interval` s in a thread."""

    def __init__(self, pid: int, done: Callable[[], int], interval: float, run: Run) -> None:
        self._pid, self._done, self._interval, self._run = pid, done, interval, run
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._began = time.perf_counter()

    def _sample(self) -> None:
        while not self._stop.is_set():
            if value := rss(self._pid):
                self._run.samples.append((time.perf_counter() - self._began, self._done(), value))
            self._stop.wait(self._interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def size_of(path: Path) -> int:
    """The bytes written so far to `path` or its `.part` (the CLI renames it at the end)."""
    for candidate in (path.with_name(path.name + ".part"), path):
        try:
            return candidate.stat().st_size
        except FileNotFoundError:
            continue
    return 0


def through_cli(url: str, interval: float) -> Run:
    """`calldata export --out FILE` of every leg as CSV in a subprocess, its RSS sampled."""
    run = Run()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "legs.csv"
        began = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "calldata", "--database-url", url, "export", *WINDOW,
                                 "--out", str(out)], env={**os.environ, "CALLDATA_DISPLAY_TZ": "UTC"})
        with Sampler(proc.pid, lambda: size_of(out), interval, run):
            if proc.wait() != 0:
                raise SystemExit(f"calldata export exited with {proc.returncode}")
        run.seconds = time.perf_counter() - began
        with out.open("rb") as data:
            while block := data.read(16 * MB):
                run.rows += block.count(b"\n")
                run.size += len(block)
    run.rows -= 1  # the header
    return run


def over_http(url: str, interval: float) -> Run:
    """`POST /rest/call/export` of every leg as CSV from a `calldata serve` subprocess, its RSS
    sampled from just before the request (after a tiny warm-up export) to the answer's end."""
    run = Run()
    key = billing_key(url)
    headers = {"authorization": f"Bearer {key}"}
    received = [0]
    with serving(url) as (base, proc):
        warm = httpx.post(f"{base}/rest/call/export", json={"scope": {"minDate": 0, "maxDate": 1}},
                          headers=headers, timeout=60)
        warm.raise_for_status()
        began = time.perf_counter()
        with Sampler(proc.pid, lambda: received[0], interval, run):
            with httpx.stream("POST", f"{base}/rest/call/export", json={"scope": {}}, headers=headers,
                              timeout=3600) as answer:
                answer.raise_for_status()
                for chunk in answer.iter_bytes():
                    run.rows += chunk.count(b"\n")
                    received[0] += len(chunk)
        run.seconds = time.perf_counter() - began
    run.rows -= 1
    run.size = received[0]
    return run


def at_progress(run: Run, share: float) -> int:
    """The RSS of the first sample at or past `share` of the bytes (the last one if none)."""
    for _t, done, value in run.samples:
        if done >= share * run.size:
            return value
    return run.samples[-1][2]


def report(name: str, run: Run, copy_rate: float) -> None:
    first = next((value for _t, done, value in run.samples if done), 0)
    peak = max(value for _t, _done, value in run.samples)
    rate = run.rows / run.seconds
    print(f"  {name}: {run.rows:,} rows, {run.size / 1e6:,.0f} MB in {run.seconds:.1f} s = {rate:,.0f} rows/s"
          f" (vs COPY {rate / copy_rate:.2f}); {len(run.samples)} samples")
    print(f"    RSS MB: first byte {first / MB:.0f}, 10% {at_progress(run, 0.1) / MB:.0f},"
          f" 50% {at_progress(run, 0.5) / MB:.0f}, 90% {at_progress(run, 0.9) / MB:.0f},"
          f" max {peak / MB:.0f} (max - first byte {(peak - first) / MB:+.0f})")


def build(url: str, rows: int, block: int) -> None:
    """`block` generated legs COPYed in, then copied inside PostgreSQL up to `rows`; timed, sized."""
    engine = sync_engine(url)
    upgrade(engine)
    engine.dispose()
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    block = min(block, rows)
    began = time.perf_counter()
    loaded = load(plain, block, 0)
    copied = copy_block(plain, block, rows) if rows > block else 0.0
    with psycopg.connect(plain) as conn:
        count = conn.execute("SELECT count(*) FROM cdr").fetchone()
        table, database = conn.execute(
            "SELECT pg_total_relation_size('cdr'), pg_database_size(current_database())").fetchone() or (0, 0)
    print(f"store: {count[0] if count else 0:,} legs in {time.perf_counter() - began:.1f} s ({block:,} generated"
          f" and COPYed in {loaded:.1f} s, copied inside PostgreSQL + indexes + VACUUM ANALYZE {copied:.1f} s);"
          f" cdr table {table / 2**30:.2f} GiB, database {database / 2**30:.2f} GiB")


def measure(url: str, interval: float) -> None:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    copy_rows, copy_s, _bytes = copy_csv(plain)
    copy_rate = copy_rows / copy_s
    print(f"  COPY ... TO STDOUT csv (floor): {copy_rows:,} rows in {copy_s:.1f} s = {copy_rate:,.0f} rows/s")
    report("calldata export --out FILE", through_cli(url, interval), copy_rate)
    report("POST /rest/call/export (calldata serve)", over_http(url, interval), copy_rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000, help="legs in the store")
    parser.add_argument("--block", type=int, default=500_000, help="legs generated in Python; the rest are copies")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between RSS samples")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL server to create the database on")
    parser.add_argument("--url", help="export this existing store instead of building one")
    parser.add_argument("--keep", action="store_true", help="keep the built database (print its URL)")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}; load average {os.getloadavg()[0]:.1f}")
    if args.url:
        measure(args.url, args.interval)
    else:
        with scratch_database(args.admin_url, "calldata_bench", keep=args.keep) as url:
            if args.keep:
                print(f"store kept: {url}")
            build(url, args.rows, args.block)
            measure(url, args.interval)
    print(f"  load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
