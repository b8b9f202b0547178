"""Attribution speed: rows per second of the decision alone, and of storing with attribution.

    .venv/bin/python bench/attribution.py [--rows 200000] [--postgres postgresql://...] [--alone]

Rows come from `calldata.demo.generator.generate` for the example directory (the call shapes a
real Asterisk writes, checked against the recordings by tests/demo). Figures are printed beside a
floor measured in the same run: one pure-Python pass over the same fields for the decision,
and the plain idempotent insert of the same rows (store without attribution) for storing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, text

from calldata.attribution import refresh, versions
from calldata.attribution.directory import load_directory
from calldata.attribution.lookup import Lookup
from calldata.attribution.properties import decide
from calldata.attribution.report import coverage
from calldata.cdr import Cdr
from calldata.demo.demo import EXAMPLE_DIRECTORY
from calldata.demo.generator import generate
from calldata.ingest.sink import store_batch
from calldata.store.cdrs import insert_cdrs
from calldata.store.engine import sync_engine, upgrade

BATCH = 5000


def workload(rows: int) -> tuple[str, list[Cdr]]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    directory = load_directory(EXAMPLE_DIRECTORY)
    return "calldata.demo.generator", list(generate(directory, rows=rows, seed=1, start=start))


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    """The shortest (wall, CPU) seconds of `runs` runs; CPU time is what one core spent, which
    on a machine shared with other work is the fairer figure."""
    wall = cpu = float("inf")
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        work()
        wall = min(wall, time.perf_counter() - began)
        cpu = min(cpu, time.process_time() - began_cpu)
    return wall, cpu


def touch_fields(rows: list[Cdr]) -> int:
    """The floor: one Python pass reading the fields attribution reads."""
    n = 0
    for r in rows:
        n += len(r.channel) + len(r.dstchannel) + len(r.dst) + len(r.dcontext) + len(r.lastapp)
    return n


def store(engine: Engine, rows: list[Cdr], attribute: bool) -> float:
    with engine.begin() as conn:  # an empty table each time (DELETE would leave PostgreSQL bloated)
        conn.execute(text("TRUNCATE cdr RESTART IDENTITY" if engine.dialect.name == "postgresql" else "DELETE FROM cdr"))
    began = time.perf_counter()
    with engine.begin() as conn:
        for i in range(0, len(rows), BATCH):
            batch = rows[i:i + BATCH]
            store_batch(conn, batch) if attribute else insert_cdrs(conn, batch)
    return time.perf_counter() - began


def bench_store(name: str, url: str, rows: list[Cdr]) -> None:
    engine = sync_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        if versions.count(conn) == 0:
            versions.save(conn, EXAMPLE_DIRECTORY.read_text(), str(EXAMPLE_DIRECTORY))
    plain = store(engine, rows, attribute=False)
    attributed = store(engine, rows, attribute=True)
    with engine.connect() as conn:
        report = coverage(conn)
    with engine.begin() as conn:  # a new version: reprocess rewrites every row's directory_version
        versions.save(conn, EXAMPLE_DIRECTORY.read_text() + f"\n# bench {time.time()}\n", "bench")
    with engine.connect() as conn:
        began = time.perf_counter()
        refresh.reprocess(conn)
        rewrite = time.perf_counter() - began
        began = time.perf_counter()
        unchanged = refresh.reprocess(conn)
        again = time.perf_counter() - began
    assert unchanged.updated == 0
    print(f"{name}: reprocess after a directory change {len(rows) / rewrite:,.0f} rows/s; "
          f"again (nothing to change) {len(rows) / again:,.0f} rows/s")
    print(f"{name}: insert only {len(rows) / plain:,.0f} rows/s; insert + attribution "
          f"{len(rows) / attributed:,.0f} rows/s ({attributed / plain:.2f}x the insert's time); "
          f"company or target decided on {report.company_or_target_share:.2%} of {report.rows} rows")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--postgres", default=os.environ.get("CALLDATA_BENCH_POSTGRES_URL"),
                        help="a PostgreSQL URL to measure storing there too (its cdr table is emptied)")
    parser.add_argument("--alone", action="store_true", help="measure attribution alone, not storing")
    parser.add_argument("--runs", type=int, default=3, help="runs of attribution alone (the best is kept)")
    args = parser.parse_args()
    source, rows = workload(args.rows)
    lookup = Lookup.build(load_directory(EXAMPLE_DIRECTORY), version=1)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
          f"Python {sys.version.split()[0]}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {len(rows):,} rows from {source}")
    _floor_wall, floor_cpu = best_of(3, lambda: touch_fields(rows))
    alone, alone_cpu = best_of(args.runs, lambda: decide(rows, lookup))
    print(f"attribution alone: {len(rows) / alone:,.0f} rows/s wall, {len(rows) / alone_cpu:,.0f} rows per "
          f"CPU-second (floor, one pass over the fields: {len(rows) / floor_cpu:,.0f} rows per CPU-second; "
          f"{alone_cpu / floor_cpu:.1f}x the floor's time); load average now {os.getloadavg()[0]:.1f}")
    if args.alone:
        return
    store_rows = rows[: min(len(rows), 100_000)]
    with tempfile.TemporaryDirectory() as tmp:
        bench_store("SQLite", f"sqlite:///{tmp}/bench.sqlite3", store_rows)
    if args.postgres:
        bench_store("PostgreSQL", args.postgres, store_rows)


if __name__ == "__main__":
    main()
