"""Benchmark: a month's `POST /rest/call/incalls` and `/outcalls` of a 100-extension company, 1, 4 and 16 at once.

Usage: .venv/bin/python bench/reports.py [--rows 10000000] [--block 300000] [--days 365] [--admin-url URL]

Builds a scratch PostgreSQL store of `--rows` rows: the example directory plus `bigco`, a company
of 100 users and devices (DDIs, IVR, hunt group, queue, park, pickups, voicemail), is loaded as the
directory; `--block` rows of `calldata.demo.generator` over `--days` days are stored once through
the sink (so attribution decides them, as it does live); then the block is copied inside PostgreSQL
(INSERT ... SELECT with the secondary indexes dropped and rebuilt afterwards) as other tenants:
every copy has its own company ids, uniqueids, linkedids, natural keys and call ids, and its times
shifted by a few minutes. So the table grows with `--rows` while one month of `bigco` stays the
size a 100-extension company makes (about 1/12 of a block), as on a hosted PBX with many tenants.

Then `calldata serve` runs in a subprocess and 1, 4 and 16 client threads (http.client, keep-alive,
an API key of a Billing Call-Summary user as `Authorization: Bearer`) ask for the month's incalls
and outcalls of `bigco` in turn, in two scenarios: all the same month (after the first, the server
answers from its kept reports: cache hits), and each a different 30-day window (no body asked
twice in the whole run, so every report is built). It prints p50/p95 latency per scenario,
concurrency and kind, the calls in each report, the server's and PostgreSQL's CPU per report, and
EXPLAIN ANALYZE of the report queries. Each level stops after `--reports` reports or `--seconds`, whichever comes first.
"""

from __future__ import annotations

import argparse
import http.client
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import psycopg
import yaml
from read_api import billing_key, machine, served
from sqlalchemy import Engine

import calldata.auth.schema  # noqa: F401  (the auth tables: the schema is complete before the copy)
from calldata.attribution import versions
from calldata.demo.demo import EXAMPLE_DIRECTORY, load_decks
from calldata.demo.generator import generate
from calldata.ingest.sink import store_batch
from calldata.queues.event import QueueEvent
from calldata.reports import query
from calldata.reports.period import period
from calldata.reports.request import ReportRequest
from calldata.store import partitions
from calldata.store.engine import sync_engine, upgrade
from calldata.store.schema import RENDERED_COLUMNS, cdr
from calldata.store.scratch import scratch_database

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
COMPANY = "bigco"
ZONE = "Europe/London"
START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
BATCH = 5000
LEVELS = (1, 4, 16)
KINDS = ("incalls", "outcalls")
# A copy's columns: what changes so it is another tenant's rows (the rest is copied as it is).
TENANT_TEXT = ("company", "target", "bill_to")
SUFFIXED = ("uniqueid", "linkedid", "natkey", "call")
SHIFTED = ("calldate", "answer", "end")


def big_directory(users: int = 100) -> str:
    """The example directory plus `bigco`: `users` users with a device each, and every kind of extension."""
    data = yaml.safe_load(EXAMPLE_DIRECTORY.read_text())
    exts: dict[str, Any] = {
        str(2000 + i): {"name": f"User {i:03d}", "type": "user", "devices": [f"PJSIP/bigco-{2000 + i}"]}
        for i in range(users)
    }
    exts |= {
        "2500": {"name": "Sales hunt group", "type": "huntgroup"},  # rings the first two users
        "2600": {"name": "Main menu", "type": "ivr"},
        "2700": {"name": "Support queue", "type": "queue"},
        "2800": {"name": "Park", "type": "park", "spaces": "2801-2820"},
        "*8": {"name": "Group pickup", "type": "pickup"},
        "**": {"name": "Directed pickup", "type": "pickup", "prefix": True},
        "*97": {"name": "Voicemail", "type": "voicemail"},
    }
    ddis = {"441632960000": "2600", "441632960001": "2500"}
    ddis |= {f"4416329601{i:02d}": str(2000 + i) for i in range(0, users, 5)}  # every fifth user has a DDI
    data["companies"][COMPANY] = {"name": "BigCo plc", "contexts": ["bigco", "bigco-ivr"], "outside_prefix": "9",
                                  "timezone": ZONE, "extensions": exts, "ddis": ddis}
    return yaml.safe_dump(data, sort_keys=False)


def store_block(engine: Engine, directory: str, rows: int, days: int, queue_log: list[QueueEvent] | None = None) -> float:
    """The demo's rate decks and the directory loaded, and `rows` generated rows stored through the
    sink (attributed and priced: the directory's sell deck prices bigco's outside calls); seconds taken.
    The queue calls' queue_log events are added to `queue_log` when given (not stored)."""
    began = time.perf_counter()
    load_decks(engine)
    with engine.begin() as conn:
        versions.save(conn, directory, "bench/reports.py")
        made = list(generate(versions.directory_of(conn), rows=rows, seed=1, start=START, days=days,  # type: ignore[arg-type]
                             queue_log=queue_log))
    for i in range(0, len(made), BATCH):
        with engine.begin() as conn:
            store_batch(conn, made[i:i + BATCH])
    return time.perf_counter() - began


def copy_block(url: str, block: int, total: int) -> float:
    """Copy the stored block as other tenants until the table holds `total` rows; seconds taken.

    Secondary indexes are dropped first and rebuilt at the end (faster than growing them row by row).
    """
    began = time.perf_counter()
    columns = [c.name for c in cdr.columns if c.name not in ("acctid", *RENDERED_COLUMNS)]

    def value(name: str, k: int) -> str:
        if name in TENANT_TEXT:
            return f"CASE WHEN \"{name}\" IN ('', 'default') THEN \"{name}\" ELSE \"{name}\" || '_{k}' END"
        if name in SUFFIXED:
            return f"\"{name}\" || '~{k}'"
        if name in SHIFTED:
            return f"\"{name}\" + interval '{k * 97} seconds'"
        return f'"{name}"'

    engine = sync_engine(url)
    with engine.begin() as sa_conn:  # the partitions the copies need, as ingestion would have made them
        partitions.ensure_through(sa_conn, total)
    engine.dispose()
    with psycopg.connect(url) as conn:
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cdr' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = 'cdr'::regclass)"
        ).fetchall()
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        stored = block
        k = 1
        while stored < total:
            n = min(block, total - stored)
            conn.execute(
                f"INSERT INTO cdr ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)}) "
                f"SELECT {', '.join(value(c, k) for c in columns)} FROM (SELECT * FROM cdr ORDER BY acctid LIMIT {n}) AS block ORDER BY acctid"
            )
            stored += n
            k += 1
        for _name, definition in indexes:
            conn.execute(definition.replace(" ON ONLY ", " ON "))  # a partitioned index: on every partition
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE cdr")
    return time.perf_counter() - began


def report_month(days: int) -> tuple[int, int]:
    """The calendar month in the middle of the generated period (year, month)."""
    middle = (START + timedelta(days=days / 2)).date()
    return middle.year, middle.month


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pid() -> int:
    """The `calldata serve` subprocess: this process's only child."""
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def backends_cpu(url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to the bench's database (the server's pools)."""
    with psycopg.connect(url) as conn:
        pids = [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    return {pid: cpu_seconds(pid) for pid in pids if Path(f"/proc/{pid}").exists()}


def ask(base: str, key: str, todo: Iterator[tuple[str, bytes]], stop: float,
        results: list[tuple[str, float, int]], lock: threading.Lock) -> None:
    """One client: reports from `todo` on one keep-alive connection until none is left or time is up."""
    where = urlsplit(base)
    client = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=300)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    try:
        while time.monotonic() < stop:
            with lock:
                kind, body = next(todo, ("", b""))
            if not kind:
                return
            began = time.perf_counter()
            client.request("POST", f"/rest/call/{kind}", body, headers)
            response = client.getresponse()
            content = response.read()
            seconds = time.perf_counter() - began
            assert response.status == 200 and content.startswith(b'{"result":"success"'), content[:300]
            with lock:
                results.append((kind, seconds, content.count(b'"acctid":')))
    finally:
        client.close()


def run_level(base: str, key: str, asked: list[tuple[str, bytes]], clients: int,
              seconds: float) -> list[tuple[str, float, int]]:
    """The reports `asked` ((kind, body) each) by `clients` threads; (kind, seconds, calls) each."""
    todo = iter(asked)
    results: list[tuple[str, float, int]] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    threads = [threading.Thread(target=ask, args=(base, key, todo, stop, results, lock)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def explain(url: str, days: int) -> list[str]:
    """EXPLAIN ANALYZE of both report queries for the month (bigco's zone), as PostgreSQL prints it."""
    year, month = report_month(days)
    start, end = period(ReportRequest((COMPANY,), year, month), ZoneInfo(ZONE))
    engine = sync_engine(url)
    lines: list[str] = []
    try:
        with engine.connect() as conn:
            for side in query.SIDES:
                compiled = query.statement("postgresql", side).compile(dialect=engine.dialect)
                raw = conn.connection.driver_connection
                assert raw is not None
                plan = raw.execute(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}",
                                   {"company": COMPANY, "start": start, "end": end}).fetchall()
                lines += [f"-- {side} = {COMPANY}", *(row[0] for row in plan)]
    finally:
        engine.dispose()
    return lines


def distinct_windows(days: int) -> Iterator[bytes]:
    """Bodies of 30-day windows of `bigco`, each starting a day after the last: none asked twice."""
    first = (START + timedelta(days=30)).date()
    for offset in range(days - 60):
        day = first + timedelta(days=offset)
        yield b'{"type":"cdr","scope":{"company":"%s","year":%d,"month":%d,"day":%d,"days":30}}' % (
            COMPANY.encode(), day.year, day.month, day.day)


def ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return 1000 * ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows in the store")
    parser.add_argument("--block", type=int, default=300_000, help="generated rows stored through the sink, then copied")
    parser.add_argument("--days", type=int, default=365, help="days the block's calls are spread over")
    parser.add_argument("--reports", type=int, default=64, help="reports per concurrency level")
    parser.add_argument("--seconds", type=float, default=180, help="time limit per concurrency level")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL server to create the database on")
    parser.add_argument("--keep", action="store_true", help="keep the database (print its URL)")
    args = parser.parse_args()
    args.block = min(args.block, args.rows)
    with scratch_database(args.admin_url, "calldata_bench", keep=args.keep) as url:
        measure(args, url)
        if args.keep:
            print(f"kept database: {url}")


def measure(args: argparse.Namespace, url: str) -> None:
    """Build, serve and report on the database at `url`, printing every figure."""
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}; load average {os.getloadavg()[0]:.1f}", flush=True)
    engine = sync_engine(url)
    upgrade(engine)
    seconds = store_block(engine, big_directory(), args.block, args.days)
    engine.dispose()
    print(f"stored {args.block:,} generated rows through the sink (attributed) in {seconds:.1f} s", flush=True)
    seconds = copy_block(plain, args.block, args.rows)
    print(f"copied to {args.rows:,} rows (indexes rebuilt, VACUUM ANALYZE) in {seconds:.1f} s", flush=True)
    key = billing_key(url)
    year, month = report_month(args.days)
    print(f"\n{COMPANY} ({ZONE}), {args.reports} reports per level (incalls and outcalls in turn), month {year}-{month:02d}")
    month = {kind: b'{"type":"cdr","scope":{"company":"%s","year":%d,"month":%d}}' % (COMPANY.encode(), year, month)
             for kind in KINDS}
    windows = distinct_windows(args.days)
    scenarios = {
        "the same month (kept after the first: cache hits)":
            lambda n: [(KINDS[i % 2], month[KINDS[i % 2]]) for i in range(n)],
        "a different 30-day window each (no report asked twice: every one built)":
            lambda n: [(KINDS[i % 2], next(windows)) for i in range(n)],
    }
    with served(plain) as base:
        run_level(base, key, [(kind, month[kind]) for kind in KINDS], 1, args.seconds)  # warm: the roster parsed, the rows cached
        server = server_pid()
        for title, asked in scenarios.items():
            print(f"\n{title}:")
            print(f"{'clients':>7} {'kind':<8} {'reports':>7} {'calls':>13} {'p50 ms':>8} {'p95 ms':>8}"
                  f" {'server CPU ms/report':>21} {'PostgreSQL CPU ms/report':>25}  load")
            for clients in LEVELS:
                server_before, pg_before = cpu_seconds(server), backends_cpu(plain)
                results = run_level(base, key, asked(args.reports), clients, args.seconds)
                pg_after = backends_cpu(plain)
                server_cpu = (cpu_seconds(server) - server_before) / max(1, len(results))
                pg_cpu = sum(t - pg_before.get(pid, 0.0) for pid, t in pg_after.items()) / max(1, len(results))
                for kind in KINDS:
                    times = [s for k, s, _ in results if k == kind]
                    calls = [n for k, _, n in results if k == kind]
                    span = f"{min(calls)}-{max(calls)}" if min(calls) != max(calls) else str(calls[0])
                    print(f"{clients:>7} {kind:<8} {len(times):>7} {span:>13}"
                          f" {ms(times, 0.5):>8.1f} {ms(times, 0.95):>8.1f} {1000 * server_cpu:>21.1f}"
                          f" {1000 * pg_cpu:>25.1f}  {os.getloadavg()[0]:.1f}", flush=True)
                both = [s for _, s, _ in results]
                print(f"{clients:>7} {'both':<8} {len(both):>7} {'':>13} {ms(both, 0.5):>8.1f} {ms(both, 0.95):>8.1f}",
                      flush=True)
    print("\nEXPLAIN ANALYZE of the report queries:")
    for line in explain(url, args.days):
        print(f"  {line}")


if __name__ == "__main__":
    main()
