"""Benchmark: `calldata import` of a large Master.csv, against each store's floor for the same rows.

Usage: .venv/bin/python bench/import_csv.py [ROWS] [POSTGRES_ADMIN_URL]
Prints rows a second for parsing alone, for the importer into SQLite and PostgreSQL (first import
and re-import), and for each store's floor measured in the same run: PostgreSQL `COPY FROM` of the
file into an unindexed table, SQLite a bare `executemany` of the parsed records' tuples into an
unindexed table; then the ratios of each import to its store's floor.

Two more figures bound what any importer could reach on this machine and schema: the CPU each
import spent in each process (importer, parsing child, PostgreSQL's own processes when
the server runs here), which no overlap can spread over more than the machine's cores; and the
schema's floors, each store alone writing the rows the import stored (every column, attributes and
row JSON included) into an empty copy of `cdr` (and `cdr_key`): with its indexes kept row by row,
with them built after the rows, and (PostgreSQL) also without the row JSON.
"""

from __future__ import annotations

import os
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
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


def sqlite_schema_floors(store: Path, rows: int, folder: Path) -> tuple[float, float]:
    """SQLite's `schema_floors`: the rows the import stored, by one `executemany` into an empty copy
    of `cdr` in a new file (its indexes kept, or made after the rows; the natural key's UNIQUE
    constraint is the table's own, kept in both), on the store's pragmas."""
    with sqlite3.connect(store) as db:
        stored = db.execute("SELECT * FROM cdr").fetchall()
        made = db.execute("SELECT type, sql FROM sqlite_master WHERE tbl_name = 'cdr' AND sql IS NOT NULL").fetchall()
    table = next(sql for kind, sql in made if kind == "table")
    indexes = [sql for kind, sql in made if kind == "index"]
    runs = iter(range(6))

    def write(after: bool) -> None:
        db = sqlite3.connect(folder / f"schema{next(runs)}.sqlite3")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(table)
        for sql in indexes if not after else ():
            db.execute(sql)
        db.executemany(f"INSERT INTO cdr VALUES ({', '.join('?' * len(stored[0]))})", stored)
        for sql in indexes if after else ():
            db.execute(sql)
        db.commit()
        db.close()

    return (timed("SQLite schema, indexes kept (best of 3)", rows, lambda: write(False), runs=3),
            timed("SQLite schema, indexes after (best of 3)", rows, lambda: write(True), runs=3))


def record_tuple(record: Cdr) -> tuple[object, ...]:
    """A record's fields as SQLite is given them by the store (times as naive UTC text)."""
    return tuple(v.replace(tzinfo=None).isoformat(" ") if hasattr(v, "tzinfo") else v
                 for v in msgspec.structs.astuple(record))


def postgres_cpu() -> float | None:
    """CPU seconds used so far by every process named postgres on this machine (None if it has none)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, seen = 0, False
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if name.startswith("postgres"):
            seen = True
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick if seen else None


def own_cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its ended children (the importer's parsing child)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def with_cpu(label: str, rows: int, work: Callable[[], object], floor_rate: float, floor: str,
             server: bool) -> float:
    """`timed` for one import, then where its CPU went and the ratio to the floor that CPU allows at
    best: all of it spread evenly over every core, no process ever waiting for another."""
    (me, child), before = own_cpu(), postgres_cpu() if server else None
    rate = timed(label, rows, work)
    (me_after, child_after), after = own_cpu(), postgres_cpu() if server else None
    spent = {"importer": me_after - me, "parsing child": child_after - child}
    if before is not None and after is not None:
        spent["PostgreSQL"] = after - before
    cores = os.cpu_count() or 1
    least = sum(spent.values()) / cores
    print("  its CPU: " + ", ".join(f"{k} {v:.2f} s" for k, v in spent.items())
          + f"; on {cores} cores not under {least:.2f} s, so at most {rows / least / floor_rate:.3f} of {floor}")
    return rate


def schema_floors(conninfo: str, rows: int) -> tuple[float, float, float]:
    """PostgreSQL alone writing the rows the import stored again (attributes and row JSON included),
    by COPY into empty copies of `cdr` (not partitioned) and `cdr_key`, in one transaction: rows a
    second (best of 3) with their indexes kept row by row, as one writer keeps them; with the same
    indexes built after the rows, as a bulk load could; and the latter without the row JSON (the
    three `json_*` parts the API serves pages from). No importer does less server work than these."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        columns = [name for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'cdr' ORDER BY ordinal_position")]
        shown = {"all": "*", "no json": ", ".join(f'"{name}"' for name in columns if not name.startswith("json_"))}
        texts = {}
        for which, selected in shown.items():
            with conn.cursor().copy(f"COPY (SELECT {selected} FROM cdr) TO STDOUT") as out:
                texts[which] = b"".join(bytes(block) for block in out)
        with conn.cursor().copy("COPY cdr_key TO STDOUT") as out:
            keys = b"".join(bytes(block) for block in out)
        indexes = conn.execute("SELECT tablename, indexname, indexdef FROM pg_indexes"
                               " WHERE tablename IN ('cdr', 'cdr_key')").fetchall()
        runs = iter(range(9))

        def write(after: bool, which: str = "all") -> None:
            run = next(runs)
            conn.execute(f"CREATE TABLE cdr_key_floor{run} AS SELECT * FROM cdr_key WITH NO DATA")
            conn.execute(f"CREATE TABLE cdr_floor{run} AS SELECT {shown[which]} FROM cdr WITH NO DATA")

            def index() -> None:
                for table, name, definition in indexes:
                    unique = "UNIQUE " if definition.startswith("CREATE UNIQUE") else ""
                    on = definition.split(" USING ", 1)[1]
                    conn.execute(f"CREATE {unique}INDEX {name}_floor{run} ON {table}_floor{run} USING {on}")

            with conn.transaction():
                if not after:
                    index()
                for table, data in (("cdr_key", keys), ("cdr", texts[which])):
                    with conn.cursor().copy(f"COPY {table}_floor{run} FROM STDIN") as into:
                        for at in range(0, len(data), 1 << 20):
                            into.write(data[at:at + (1 << 20)])
                if after:
                    index()

        return (timed("PostgreSQL schema, indexes kept (best of 3)", rows, lambda: write(False), runs=3),
                timed("PostgreSQL schema, indexes after (best of 3)", rows, lambda: write(True), runs=3),
                timed("  the same without row JSON (best of 3)", rows, lambda: write(True, "no json"), runs=3))


def timed(label: str, rows: int, work: Callable[[], object], runs: int = 1) -> float:
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

        with path.open("rb") as stream:
            tuples = [record_tuple(p.result) for p in read_cdrs(stream, layout, UTC) if isinstance(p.result, Cdr)]
        floors = iter(range(3))
        floor_rate = timed("floor: SQLite executemany (best of 3)", rows,
                           lambda: sqlite_floor(Path(tmp) / f"floor{next(floors)}.sqlite3", tuples), runs=3)
        sqlite = sync_engine(f"sqlite:///{tmp}/bench.sqlite3")
        upgrade(sqlite)
        sqlite_rate = with_cpu("import into SQLite", rows, lambda: import_file(sqlite, path, UTC), floor_rate,
                               "executemany", server=False)
        sqlite_again = with_cpu("re-import into SQLite (all present)", rows, lambda: import_file(sqlite, path, UTC),
                                floor_rate, "executemany", server=False)
        sqlite.dispose()
        sqlite_kept, sqlite_after = sqlite_schema_floors(Path(tmp) / "bench.sqlite3", rows, Path(tmp))

        with scratch_database(admin, "calldata_bench") as url:
            conninfo = url.replace("postgresql+psycopg://", "postgresql://")
            tables = iter(range(3))

            def copy() -> None:
                table = f"copy_floor{next(tables)}"
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
            pg = sync_engine(url)
            upgrade(pg)
            pg_rate = with_cpu("import into PostgreSQL", rows, lambda: import_file(pg, path, UTC), copy_rate, "COPY",
                               server=True)
            again_rate = with_cpu("re-import into PostgreSQL (all present)", rows, lambda: import_file(pg, path, UTC),
                                  copy_rate, "COPY", server=True)
            kept_rate, after_rate, bare_rate = schema_floors(conninfo, rows)
            pg.dispose()
        print(
            f"ratios to PostgreSQL COPY: import {pg_rate / copy_rate:.3f}, re-import {again_rate / copy_rate:.3f}, "
            f"parse alone {parse_rate / copy_rate:.3f}"
        )
        print(
            f"the schema's floors to PostgreSQL COPY: indexes kept {kept_rate / copy_rate:.3f}, "
            f"indexes built after {after_rate / copy_rate:.3f}, and without row JSON {bare_rate / copy_rate:.3f}"
        )
        print(f"ratios to SQLite executemany: import {sqlite_rate / floor_rate:.3f}, re-import {sqlite_again / floor_rate:.3f}")
        print(f"the schema's floors to SQLite executemany: indexes kept {sqlite_kept / floor_rate:.3f}, "
              f"indexes made after {sqlite_after / floor_rate:.3f}")


if __name__ == "__main__":
    main()
