"""Benchmark: exporting every leg as CSV through `POST /rest/call/export` and `calldata export`,
against PostgreSQL `COPY (SELECT ...) TO STDOUT` of the same rows measured in the same run.

Usage: .venv/bin/python bench/export.py [--rows N] [--admin-url URL] [--keep]

Creates a fresh PostgreSQL database, loads `--rows` generated attributed legs (as bench/read_api.py
does), then streams them all as CSV over HTTP from `calldata serve` (a billing key, one request)
and through a `calldata export` subprocess to a file; prints rows/s and each ratio to COPY's.
On PostgreSQL the legs CSV is written by COPY (calldata.store.csv_copy); the legs as NDJSON and
the calls (CSV) are built in Python, measured too (calls: legs covered per second).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

from calldata.calls.export import LEG_FIELDS
from calldata.store.engine import sync_engine, upgrade
from calldata.store.scratch import scratch_database
from read_api import ADMIN_URL, billing_key, load, machine, served

WINDOW = ["--from", "2000-01-01", "--to", "2099-12-31"]


def over_http(base: str, key: str, **scope: str) -> tuple[int, float, int]:
    """Every leg (or call) as CSV (or `format`) in one streamed request: lines after the header, seconds, bytes."""
    lines = size = 0
    began = time.perf_counter()
    with httpx.stream("POST", f"{base}/rest/call/export", json={"scope": scope},
                      headers={"authorization": f"Bearer {key}"}, timeout=3600) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_bytes():
            lines += chunk.count(b"\n")
            size += len(chunk)
    return lines - (scope.get("format") != "ndjson"), time.perf_counter() - began, size


def through_cli(url: str) -> tuple[int, float, int]:
    """Every leg as CSV by a `calldata export` subprocess into a file: rows, seconds, bytes."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "legs.csv"
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "calldata", "--database-url", url, "export", *WINDOW, "--out", str(out)],
                       check=True, env={**os.environ, "CALLDATA_DISPLAY_TZ": "UTC"})
        seconds = time.perf_counter() - began
        data = out.read_bytes()
    return data.count(b"\n") - 1, seconds, len(data)


def copy_csv(url: str) -> tuple[int, float, int]:
    """The same columns by COPY (SELECT ... ORDER BY acctid) TO STDOUT (FORMAT csv): rows, seconds, bytes."""
    columns = ", ".join('"calldate"' if name == "start" else f'"{name}"' for name in LEG_FIELDS)
    size = lines = 0
    began = time.perf_counter()
    with psycopg.connect(url) as conn:
        query = f"COPY (SELECT {columns} FROM cdr ORDER BY acctid) TO STDOUT (FORMAT csv, HEADER)"
        with conn.cursor().copy(query) as copy:
            for block in copy:
                size += len(block)
                lines += bytes(block).count(b"\n")
    return lines - 1, time.perf_counter() - began, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="legs to load and export")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL server to create the database on")
    parser.add_argument("--keep", action="store_true", help="keep the database (print its URL)")
    args = parser.parse_args()
    with scratch_database(args.admin_url, "calldata_bench", keep=args.keep) as url:
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}; load average {os.getloadavg()[0]:.1f}")
        engine = sync_engine(url)
        upgrade(engine)
        engine.dispose()
        print(f"loaded {args.rows:,} legs in {load(plain, args.rows, 0):.1f} s")
        key = billing_key(url)
        copy_rows, copy_s, copy_bytes = copy_csv(plain)
        with served(url) as base:
            http_rows, http_s, http_bytes = over_http(base, key)
            _, ndjson_s, ndjson_bytes = over_http(base, key, format="ndjson")
            _, calls_s, calls_bytes = over_http(base, key, kind="calls")
        cli_rows, cli_s, cli_bytes = through_cli(url)
        copy_rate = copy_rows / copy_s
        for name, rows, seconds, size in (("HTTP POST /rest/call/export", http_rows, http_s, http_bytes),
                                          ("calldata export --out FILE", cli_rows, cli_s, cli_bytes),
                                          ("HTTP legs as NDJSON (Python)", http_rows, ndjson_s, ndjson_bytes),
                                          ("HTTP calls as CSV (Python; legs)", http_rows, calls_s, calls_bytes),
                                          ("COPY ... TO STDOUT csv (floor)", copy_rows, copy_s, copy_bytes)):
            rate = rows / seconds
            print(f"  {name:32} {rows:>9,} rows {seconds:7.2f} s {rate:10,.0f} rows/s {size / 1e6:8.1f} MB"
                  f"  ratio {rate / copy_rate:.2f}")
        print(f"  load average after: {os.getloadavg()[0]:.1f} (target ratio >= 0.5)")


if __name__ == "__main__":
    main()
