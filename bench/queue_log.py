"""Benchmark: queue_log ingestion rows/s, by `calldata import`, the file follower and the realtime table.

Usage: .venv/bin/python bench/queue_log.py [LINES] [POSTGRES_ADMIN_URL]
LINES generated queue_log lines (calls through two queues, identical repeats within a second)
stored into a PostgreSQL store (insert keyed on the natural key, the new events' callers' stays
computed again and written; the follower and the table add the checkpoint in the same
transaction), read from: the file imported, the file followed, and
an Asterisk-shaped realtime queue_log table on PostgreSQL; against the floor of a plain COPY of
the same rows into an unindexed table of queue_event's columns.
"""

from __future__ import annotations

import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import func, make_url, select, text

from calldata.ingest.follow import FileSource
from calldata.ingest.importer import import_file
from calldata.ingest.queuelog import QueueLogLines
from calldata.ingest.queuetable import QueueRows
from calldata.ingest.runner import store
from calldata.ingest.table import TableSource
from calldata.queues.event import QueueEvent, numbered, parse_line
from calldata.queues.schema import queue_event
from calldata.store.engine import sync_engine, upgrade
from calldata.store.scratch import scratch_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from queue_logs import generated  # noqa: E402 - the test suite's queue_log generator

PBX_DDL = """CREATE TABLE queue_log (id bigserial PRIMARY KEY, time timestamp, callid varchar(80),
 queuename varchar(256), agent varchar(80), event varchar(32), data1 varchar(100), data2 varchar(100),
 data3 varchar(100), data4 varchar(100), data5 varchar(100))"""
FLOOR_DDL = """CREATE TEMP TABLE floor (time timestamptz, callid text, queue text, agent text, event text,
 data1 text, data2 text, data3 text, data4 text, data5 text, natkey text)"""


def rate_line(label: str, rows: int, seconds: float, floor: float | None) -> float:
    rate = rows / seconds
    ratio = f"{rate / floor:8.3f}" if floor else "       1"
    print(f"| {label:<46} | {seconds:7.2f} | {rate:9,.0f} | {ratio} |")
    return rate


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    admin = sys.argv[2] if len(sys.argv) > 2 else "postgresql://postgres@127.0.0.1:5432/test"
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        urls = {k: stack.enter_context(scratch_database(admin, f"calldata_bench_q{k}")) for k in ("pbx", "store")}
        path = Path(tmp) / "queue_log"
        path.write_bytes(b"".join(generated(lines, seed=1)))
        events = list(numbered(parse_line(line) for line in path.read_text().splitlines()))
        print(f"{lines:,} queue_log lines; python {sys.version.split()[0]}; store and PBX table on {make_url(admin).host}")
        run(urls, events, path)


def run(urls: dict[str, str], events: list[QueueEvent], path: Path) -> None:
    rows = len(events)
    libpq = {k: v.replace("postgresql+psycopg://", "postgresql://") for k, v in urls.items()}
    with psycopg.connect(libpq["pbx"], autocommit=True) as conn:
        conn.execute(PBX_DDL)
        with conn.cursor().copy("COPY queue_log (time, callid, queuename, agent, event, data1, data2, data3, data4, data5) FROM STDIN") as copy:
            for e in events:  # as Asterisk's realtime writes them: naive times (a UTC PBX)
                copy.write_row((e.time.replace(tzinfo=None), e.callid, e.queue, e.agent, e.event, *e.data_columns()))
    engine = sync_engine(urls["store"])
    upgrade(engine)

    def fresh_store() -> None:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE queue_event, queue_stay, queue_stay_ring, quarantine, ingest_source RESTART IDENTITY"))

    def stored() -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(queue_event)).scalar_one())

    print("\n| queue_log -> PostgreSQL store | seconds | rows/s | vs COPY |\n|---|---:|---:|---:|")
    with psycopg.connect(libpq["store"], autocommit=True) as conn:
        conn.execute(FLOOR_DDL)
        began = time.perf_counter()
        with conn.cursor().copy("COPY floor FROM STDIN") as copy:
            for e in events:
                copy.write_row((e.time, e.callid, e.queue, e.agent, e.event, *e.data_columns(), e.natural_key()))
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

    fresh_store()
    began = time.perf_counter()
    result = import_file(engine, path, UTC)
    seconds = time.perf_counter() - began
    assert result.inserted == rows == stored(), (result, stored())
    rate_line("calldata import (batches of 5,000)", rows, seconds, floor)
    began = time.perf_counter()
    again = import_file(engine, path, UTC)
    assert again.inserted == 0 and again.present == rows
    rate_line("calldata import again (all already present)", rows, time.perf_counter() - began, floor)
    rate_line("queue_log file follower (batches of 2,000)", rows, drain(FileSource("bench-qfile", path, QueueLogLines())), floor)
    table = TableSource("bench-qdb", urls["pbx"], table="queue_log", rows=QueueRows)
    rate_line("realtime queue_log table (PostgreSQL, 2,000)", rows, drain(table), floor)
    rate_line("floor: COPY of the same rows, unindexed table", rows, rows / floor, None)
    engine.dispose()
    print(f"\nrun at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
