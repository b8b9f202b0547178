"""Benchmark: `calldata import` of a large Master.csv, against each store's floor for the same rows.

Usage: .venv/bin/python bench/import_csv.py [ROWS] [POSTGRES_ADMIN_URL]
Prints rows a second for parsing alone, for the importer into SQLite and PostgreSQL (first import
and re-import), and for each store's floor measured in the same run: PostgreSQL `COPY FROM` of the
file into an unindexed table, SQLite a bare `executemany` of the parsed records' tuples into an
unindexed table; then the ratios of each import to its store's floor.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import psycopg

from calldata.cdr import Cdr
from calldata.ingest.csvfile import read_cdrs
from calldata.ingest.layouts import LAYOUTS
from calldata.ingest.importer import import_file
from calldata.store.engine import sync_engine, upgrade
from calldata.store.scratch import scratch_database


def write_master_csv(path: Path, rows: int) -> None:
    """`rows` distinct calls in the 21-column cdr_csv layout, as Asterisk 22 writes them."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with path.open("w") as f:
        for i in range(rows):
            t = start + timedelta(seconds=7 * i)
            s, a, e = (x.strftime("%Y-%m-%d %H:%M:%S") for x in (t, t + timedelta(seconds=3), t + timedelta(seconds=63)))
            uid = f"{1795000000 + i}.{i}"
            f.write(
                f'"acme","201","0790{i % 1000000:06d}","acme","""Alice"" <201>","IAX2/acme-201-{i}",'
                f'"IAX2/carrier1-{i}","Dial","IAX2/carrier1/0790{i:06d},60,Tf(441908276650)","{s}","{a}","{e}",'
                f'63,60,"ANSWERED","DOCUMENTATION","{uid}","","acme","{uid}",{i}\n'
            )


def sqlite_floor(path: Path, tuples: list[tuple[object, ...]]) -> None:
    """One executemany of `tuples` into an unindexed table, on the store's pragmas (WAL, synchronous NORMAL)."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    names = ", ".join(f'"{name}"' for name in Cdr.__struct_fields__)
    db.execute(f"CREATE TABLE floor ({names})")
    db.executemany(f"INSERT INTO floor VALUES ({', '.join('?' * len(Cdr.__struct_fields__))})", tuples)
    db.commit()
    db.close()


def record_tuple(record: Cdr) -> tuple[object, ...]:
    """A record's fields as SQLite is given them by the store (times as naive UTC text)."""
    return tuple(v.replace(tzinfo=None).isoformat(" ") if hasattr(v, "tzinfo") else v
                 for v in msgspec.structs.astuple(record))


def timed(label: str, rows: int, work, runs: int = 1) -> float:
    """Rows a second of `work`, the best of `runs` (the floors: one short run is at the mercy of a loaded machine)."""
    seconds = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        work()
        seconds = min(seconds, time.perf_counter() - began)
    rate = rows / seconds
    print(f"{label:<44} {seconds:7.2f} s  {rate:10,.0f} rows/s  {rate * 60:13,.0f} rows/min")
    return rate


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    admin = sys.argv[2] if len(sys.argv) > 2 else "postgresql://postgres@127.0.0.1:5432/test"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Master.csv"
        write_master_csv(path, rows)
        print(f"{rows:,} rows, {path.stat().st_size / 1e6:.1f} MB; python {sys.version.split()[0]}")
        layout = LAYOUTS["cdr_csv+loguniqueid+loguserfield+newcdrcolumns"]

        def parse() -> None:
            with path.open("rb") as stream:
                assert sum(isinstance(p.result, Cdr) for p in read_cdrs(stream, layout, UTC)) == rows

        parse_rate = timed("parse only (read_cdrs)", rows, parse)

        sqlite = sync_engine(f"sqlite:///{tmp}/bench.sqlite3")
        upgrade(sqlite)
        sqlite_rate = timed("import into SQLite", rows, lambda: import_file(sqlite, path, UTC))
        sqlite_again = timed("re-import into SQLite (all present)", rows, lambda: import_file(sqlite, path, UTC))
        sqlite.dispose()
        with path.open("rb") as stream:
            tuples = [record_tuple(p.result) for p in read_cdrs(stream, layout, UTC) if isinstance(p.result, Cdr)]
        floors = iter(range(3))
        floor_rate = timed("floor: SQLite executemany (best of 3)", rows,
                           lambda: sqlite_floor(Path(tmp) / f"floor{next(floors)}.sqlite3", tuples), runs=3)

        with scratch_database(admin, "calldata_bench") as url:
            pg = sync_engine(url)
            upgrade(pg)
            pg_rate = timed("import into PostgreSQL", rows, lambda: import_file(pg, path, UTC))
            again_rate = timed("re-import into PostgreSQL (all present)", rows, lambda: import_file(pg, path, UTC))
            pg.dispose()

            tables = iter(range(3))

            def copy() -> None:
                table = f"copy_floor{next(tables)}"
                conninfo = url.replace("postgresql+psycopg://", "postgresql://")
                with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
                    cur.execute(
                        f"CREATE TABLE {table} (accountcode text, src text, dst text, dcontext text, clid text,"
                        " channel text, dstchannel text, lastapp text, lastdata text, start timestamptz,"
                        " answer timestamptz, \"end\" timestamptz, duration int, billsec int, disposition text,"
                        " amaflags text, uniqueid text, userfield text, peeraccount text, linkedid text, sequence int)"
                    )
                    with cur.copy(f"COPY {table} FROM STDIN (FORMAT csv)") as cp, path.open("rb") as f:
                        while chunk := f.read(1 << 20):
                            cp.write(chunk)

            copy_rate = timed("floor: PostgreSQL COPY (best of 3)", rows, copy, runs=3)
        print(
            f"ratios to PostgreSQL COPY: import {pg_rate / copy_rate:.3f}, re-import {again_rate / copy_rate:.3f}, "
            f"parse alone {parse_rate / copy_rate:.3f}"
        )
        print(f"ratios to SQLite executemany: import {sqlite_rate / floor_rate:.3f}, re-import {sqlite_again / floor_rate:.3f}")


if __name__ == "__main__":
    main()
