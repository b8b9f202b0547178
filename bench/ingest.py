"""Benchmark: live ingestion rows/s from each source, and the delay from Asterisk's table to the store.

Usage: .venv/bin/python bench/ingest.py [ROWS] [POSTGRES_ADMIN_URL]
Into a PostgreSQL store (insert + attribution + checkpoint per batch), the same ROWS distinct
calls read from: an Asterisk-shaped cdr table on PostgreSQL, a Master.csv being followed, and
the AMI Cdr feed of the test AMI server over TCP; against the floor of a plain COPY of the same
rows. Then the end-to-end delay: a row INSERTed into Asterisk's table until it is committed
(readable by /rest/call/read) with `calldata ingest run`'s run loop at its default poll interval.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from import_csv import write_master_csv
from sqlalchemy import func, make_url, select, text

from calldata.cdr import Cdr
from calldata.ingest.ami import AmiSource
from calldata.ingest.csvfile import read_cdrs
from calldata.ingest.layouts import LAYOUTS
from calldata.ingest.follow import CsvLines, FileSource
from calldata.ingest.runner import Runner, store
from calldata.ingest.table import TableSource
from calldata.store.engine import sync_engine, upgrade
from calldata.store.schema import cdr
from calldata.store.scratch import scratch_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "ingest_live"))
from amiserver import AmiServer  # noqa: E402 - the protocol server of the test suite

PBX_DDL = """CREATE TABLE cdr (acctid bigserial PRIMARY KEY, calldate timestamptz NOT NULL,
 clid text, src text, dst text, dcontext text, channel text, dstchannel text, lastapp text,
 lastdata text, duration int, billsec int, disposition text, amaflags int, accountcode text,
 uniqueid text, userfield text, peeraccount text, linkedid text, sequence int)"""
PBX_COLUMNS = ("calldate", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
               "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid", "userfield",
               "peeraccount", "linkedid", "sequence")


def pbx_row(r: Cdr) -> tuple:
    return (r.start, r.clid, r.src, r.dst, r.dcontext, r.channel, r.dstchannel, r.lastapp, r.lastdata,
            r.duration, r.billsec, "NO ANSWER" if r.disposition == "NOANSWER" else r.disposition, r.amaflags,
            r.accountcode, r.uniqueid, r.userfield, r.peeraccount, r.linkedid, r.sequence)


def ami_event(r: Cdr) -> bytes:
    fmt = "%Y-%m-%d %H:%M:%S"
    lines = [
        "Event: Cdr", "Privilege: cdr,all", f"AccountCode: {r.accountcode}", f"Source: {r.src}",
        f"Destination: {r.dst}", f"DestinationContext: {r.dcontext}", f"CallerID: {r.clid}",
        f"Channel: {r.channel}", f"DestinationChannel: {r.dstchannel}", f"LastApplication: {r.lastapp}",
        f"LastData: {r.lastdata}", f"StartTime: {r.start.strftime(fmt)}",
        f"AnswerTime: {r.answer.strftime(fmt) if r.answer else ''}", f"EndTime: {r.end.strftime(fmt) if r.end else ''}",
        f"Duration: {r.duration}", f"BillableSeconds: {r.billsec}", f"Disposition: {r.disposition}",
        "AMAFlags: DOCUMENTATION", f"UniqueID: {r.uniqueid}", f"UserField: {r.userfield}",
        f"LinkedID: {r.linkedid}", f"Sequence: {r.sequence}", f"PeerAccount: {r.peeraccount}",
    ]
    return "\r\n".join(lines).encode()


def rate_line(label: str, rows: int, seconds: float, floor: float | None) -> float:
    rate = rows / seconds
    ratio = f"{rate / floor:8.3f}" if floor else "       1"
    print(f"| {label:<44} | {seconds:7.2f} | {rate:9,.0f} | {ratio} |")
    return rate


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    admin = sys.argv[2] if len(sys.argv) > 2 else "postgresql://postgres@127.0.0.1:5432/test"
    with ExitStack() as stack:
        urls = {k: stack.enter_context(scratch_database(admin, f"calldata_bench_{k}")) for k in ("pbx", "store")}
        with tempfile.TemporaryDirectory() as tmp:
            master = Path(tmp) / "Master.csv"
            write_master_csv(master, rows)
            with master.open("rb") as f:
                records = [p.result for p in read_cdrs(f, LAYOUTS["cdr_csv+loguniqueid+loguserfield+newcdrcolumns"], UTC)]
            assert all(isinstance(r, Cdr) for r in records)
            print(f"{rows:,} rows; python {sys.version.split()[0]}; store and PBX tables on {make_url(admin).host}")
            run(urls, records, master)


def run(urls: dict[str, str], records: list[Cdr], master: Path) -> None:
    rows = len(records)
    libpq = {k: v.replace("postgresql+psycopg://", "postgresql://") for k, v in urls.items()}
    with psycopg.connect(libpq["pbx"], autocommit=True) as conn:
        conn.execute(PBX_DDL)
        with conn.cursor().copy(f"COPY cdr ({', '.join(PBX_COLUMNS)}) FROM STDIN") as copy:
            for r in records:
                copy.write_row(pbx_row(r))
    engine = sync_engine(urls["store"])
    upgrade(engine)

    def fresh_store() -> None:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE cdr, quarantine, ingest_source RESTART IDENTITY"))

    def stored() -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(cdr)).scalar_one())

    print("\n| source -> PostgreSQL store | seconds | rows/s | vs COPY |\n|---|---:|---:|---:|")
    with psycopg.connect(libpq["store"], autocommit=True) as conn:
        conn.execute(PBX_DDL.replace("CREATE TABLE cdr (acctid bigserial PRIMARY KEY,", "CREATE TEMP TABLE floor ("))
        began = time.perf_counter()
        with conn.cursor().copy(f"COPY floor ({', '.join(PBX_COLUMNS)}) FROM STDIN") as copy:
            for r in records:
                copy.write_row(pbx_row(r))
        floor = rows / (time.perf_counter() - began)

    def drain(source) -> float:  # type: ignore[no-untyped-def]
        fresh_store()
        source.open("")
        began = time.perf_counter()
        while (batch := source.read(0)) is not None:
            store(engine, source, batch)
        source.close()
        seconds = time.perf_counter() - began
        assert stored() == rows, stored()
        return seconds

    rate_line("CDR table (PostgreSQL, batches of 2,000)", rows, drain(TableSource("bench-db", urls["pbx"])), floor)
    rate_line("Master.csv follower (batches of 2,000)", rows, drain(FileSource("bench-csv", master, CsvLines(UTC))), floor)

    fresh_store()
    with AmiServer() as server:
        runner = Runner(engine, [AmiSource("bench-ami", "127.0.0.1", server.port, "calldata", "s3cret")], wait=0.1)
        runner.start()
        assert server.logged_in.wait(10)
        events = [ami_event(r) for r in records]
        began = time.perf_counter()
        threading.Thread(target=server.send, args=events, daemon=True).start()
        while stored() < rows:
            time.sleep(0.05)
        seconds = time.perf_counter() - began
        runner.stop.set()
        runner.join(10)
    rate_line("AMI Cdr events over TCP (batches up to 500)", rows, seconds, floor)
    rate_line("floor: COPY of the same rows, unindexed table", rows, rows / floor, None)

    print("\nEnd-to-end delay: INSERT into Asterisk's cdr table -> row committed in the store")
    print("| poll interval | samples | median s | p95 s | max s |\n|---:|---:|---:|---:|---:|")
    for poll in (1.0, 0.2):
        fresh_store()
        with psycopg.connect(libpq["pbx"], autocommit=True) as conn:
            conn.execute("TRUNCATE cdr RESTART IDENTITY")
        runner = Runner(engine, [TableSource("bench-db", urls["pbx"], poll_seconds=poll)])
        runner.start()
        delays = []
        with psycopg.connect(libpq["pbx"], autocommit=True) as pbx, psycopg.connect(libpq["store"], autocommit=True) as st:
            for i, r in enumerate(records[:40]):
                time.sleep(0.137)  # calls end at arbitrary moments of the poll cycle
                pbx.execute(
                    f"INSERT INTO cdr ({', '.join(PBX_COLUMNS)}) VALUES ({', '.join(['%s'] * len(PBX_COLUMNS))})",
                    pbx_row(r),
                )
                began = time.perf_counter()
                while st.execute("SELECT count(*) FROM cdr").fetchone()[0] <= i:
                    time.sleep(0.002)
                delays.append(time.perf_counter() - began)
        runner.stop.set()
        runner.join(10)
        delays.sort()
        p95 = delays[int(0.95 * (len(delays) - 1))]
        print(f"| {poll:.1f} s | {len(delays)} | {statistics.median(delays):.3f} | {p95:.3f} | {delays[-1]:.3f} |")
    engine.dispose()
    print(f"\nrun at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
