"""Benchmark: `POST /rest/queue/stats` for a month of a busy queue on a large PostgreSQL store.

Usage: .venv/bin/python bench/queue_stats.py [--rows 10000000] [--busy 30000] [--asks 40] [--admin-url URL]
                                             [--keep [--build-only]] [--url URL]

Builds a scratch PostgreSQL store by COPY (secondary indexes dropped first, rebuilt after, then
VACUUM ANALYZE): a year of queue calls, each with its CDR legs (uniqueid = the caller's callid,
target = the queue's company) and its queue_log events (ENTERQUEUE, members rung, then CONNECT and
COMPLETEAGENT, or ABANDON, or EXITWITHTIMEOUT). Company `busy`'s queue `busy-support` takes
`--busy` calls a month; the other tenants' queues fill the cdr table up to `--rows` legs (about 2.2
queue_log events per leg). Then `calldata serve` runs in a subprocess and one client asks for the
busy queue's month `--asks` times in each way: as an admin for every queue event (no company), as
an admin for company busy (each caller checked against its CDR legs), and as a user scoped to busy.
It prints p50/p95 per way, the CPU per request of the server process and of its PostgreSQL
backends (parallel workers not included; the loaded machine's wall times vary, these less), the
figures answered, and EXPLAIN ANALYZE of the statement (the floor:
the database's own time for it; calldata.queues.figures counts in it).

The COPY bypasses calldata's writers, so the kept stays are then made as `calldata queues rebuild`
makes them (calldata.queues.kept.rebuild; its time printed). `--keep --build-only` builds a store
and keeps it; `--url URL` then measures on it (migrating it first: the revisions added since run
on the full tables, their time printed; the stays rebuilt when none are kept yet).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import psycopg
import yaml
from sqlalchemy import text
from read_api import machine, serving
from reports import backends_cpu, cpu_seconds

import calldata.auth.schema  # noqa: F401  (the auth tables: the schema is complete before the copy)
from calldata.attribution import versions
from calldata.auth import keys, users
from calldata.auth.permissions import BILLING_CALL_REPORTING, SYSTEM_ADMIN
from calldata.demo.demo import EXAMPLE_DIRECTORY
from calldata.queues.event import make
from calldata.queues.figures import WORK_MEM, statement
from calldata.queues.kept import rebuild
from calldata.store import partitions
from calldata.store.engine import sync_engine, upgrade
from calldata.store.scratch import scratch_database

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BUSY = "busy"
YEAR = 2026
MONTH = 6  # the month asked for, in the middle of the generated year
START = datetime(YEAR, 1, 1, tzinfo=UTC)
CDR_COLUMNS = ("calldate", "answer", "end", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
               "duration", "billsec", "disposition", "uniqueid", "linkedid", "natkey", "company", "target", "bill_to",
               "call")
EVENT_COLUMNS = ("time", "callid", "queue", "agent", "event", "data1", "data2", "data3", "natkey")
MEMBERS = ("Bob", "Carol", "Dave", "Erin")


def directory() -> str:
    """The example directory plus company `busy` (the API checks a company asked against it)."""
    data = yaml.safe_load(EXAMPLE_DIRECTORY.read_text())
    data["companies"][BUSY] = {"name": "Busy Ltd", "contexts": [BUSY], "extensions": {
        "201": {"name": "Bob", "type": "user", "devices": ["PJSIP/busy-201"]},
        "270": {"name": "Support queue", "type": "queue"}}}
    return yaml.safe_dump(data, sort_keys=False)


def queue_call(rng: random.Random, n: int, company: str, at: datetime) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """One caller through `company`'s queue at `at`: its CDR legs and its queue_log events."""
    callid, queue = f"{int(at.timestamp())}.{n}", f"{company}-support"
    fate = rng.random()
    wait = int(rng.expovariate(1 / 25))
    rung = rng.sample(MEMBERS, 2)
    events = [(0, "NONE", "ENTERQUEUE", ("", "07700900011", "1")), (min(8, wait), rung[0], "RINGNOANSWER", ("8000",))]
    legs = [(0, 8, rung[0], "NO ANSWER", 8)]
    if fate < 0.8:
        talk = int(rng.expovariate(1 / 180))
        events += [(wait, rung[1], "CONNECT", (str(wait), f"{callid}9", "3")),
                   (wait + talk, rung[1], "COMPLETEAGENT", (str(wait), str(talk), "1"))]
        legs.append((min(8, wait), wait + talk, rung[1], "ANSWERED", wait + talk))
    elif fate < 0.95:
        events.append((wait, "NONE", "ABANDON", ("1", "1", str(wait))))
        legs.append((min(8, wait), wait, rung[1], "NO ANSWER", wait))
    else:
        wait = 30
        events.append((30, "NONE", "EXITWITHTIMEOUT", ("1", "1", "30")))
    cdrs = []
    for k, (begin, end, member, disposition, billsec) in enumerate(legs):
        start = at + timedelta(seconds=begin)
        cdrs.append((start, start, at + timedelta(seconds=end), "07700900011", "270", company,
                     "IAX2/carrier1-1", f"PJSIP/{company}-{member}-{n:08x}", "Queue", f"{queue},tT", billsec, billsec,
                     disposition, callid, callid, f"{callid}/{k}", "", company, "", callid))
    rows = []
    for offset, agent, name, data in events:
        event = make(at + timedelta(seconds=offset), callid, queue, agent, name, data)
        rows.append((event.time, callid, queue, agent, name, *event.data_columns()[:3], event.natural_key()))
    return cdrs, rows


def calls(rows: int, busy: int, seed: int = 1) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """A year of queue calls: `busy` a month to company busy, the rest to 50 other tenants, until
    about `rows` CDR legs."""
    rng = random.Random(seed)
    year = 365 * 86400
    busy_calls = busy * 12
    others = max(0, rows // 2 - busy_calls)
    n = 0
    for count, company in ((busy_calls, BUSY), (others, None)):
        for i in range(count):
            n += 1
            at = START + timedelta(seconds=int(year * i / max(1, count)))
            yield queue_call(rng, n, company or f"t{n % 50}", at)


def build(url: str, rows: int, busy: int) -> tuple[int, int, float]:
    """The store filled by COPY; (legs, events, seconds)."""
    began = time.perf_counter()
    legs = events = 0
    engine = sync_engine(url)
    with engine.begin() as sa_conn:  # the partitions the COPY needs (about `rows` legs), as ingestion makes them
        partitions.ensure_through(sa_conn, 2 * rows)
    engine.dispose()
    with psycopg.connect(url) as conn, psycopg.connect(url) as other:  # one COPY at a time per connection
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('cdr', 'queue_event') AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint)").fetchall()
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.commit()
        with conn.cursor().copy(f"COPY cdr ({', '.join(map(json.dumps, CDR_COLUMNS))}) FROM STDIN") as to_cdr, \
                other.cursor().copy(f"COPY queue_event ({', '.join(map(json.dumps, EVENT_COLUMNS))}) FROM STDIN") as to_events:
            for cdrs, logged in calls(rows, busy):
                for row in cdrs:
                    to_cdr.write_row(row)
                for row in logged:
                    to_events.write_row(row)
                legs += len(cdrs)
                events += len(logged)
        other.commit()
        for _name, definition in indexes:
            conn.execute(definition.replace(" ON ONLY ", " ON "))  # a partitioned index: on every partition
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE cdr")
        conn.execute("VACUUM ANALYZE queue_event")
    return legs, events, time.perf_counter() - began


def key(url: str, login: str, permission: str, companies: list[str]) -> str:
    engine = sync_engine(url)
    with engine.begin() as conn:
        user_id = users.add_user(conn, login, uuid.uuid4().hex, profile="CHEAPEST", actor="bench")
        users.grant(conn, login, permission, companies, actor="bench")
        _key_id, made = keys.create(conn, user_id, pepper=os.environ.get("CALLDATA_TOKEN_PEPPER", ""), actor="bench")
    engine.dispose()
    return made


def timed(base: str, token: str, scope: dict[str, Any], asks: int) -> tuple[list[float], dict[str, Any]]:
    """`asks` requests one after another on one keep-alive connection: seconds each, the last answer."""
    where = urlsplit(base)
    client = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=600)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"scope": scope}).encode()
    seconds, answer = [], {}
    try:
        for _ in range(asks):
            began = time.perf_counter()
            client.request("POST", "/rest/queue/stats", body, headers)
            response = client.getresponse()
            answer = json.loads(response.read())
            seconds.append(time.perf_counter() - began)
            assert response.status == 200, answer
    finally:
        client.close()
    return seconds, answer


def ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return 1000 * ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))]


def explain(url: str) -> list[str]:
    """EXPLAIN ANALYZE of the stats statement for busy's month (company-scoped: the heavier one)."""
    start = datetime(YEAR, MONTH, 1, tzinfo=UTC)
    params = {"start": int(start.timestamp()), "end": int(datetime(YEAR, MONTH + 1, 1, tzinfo=UTC).timestamp()),
              "queues": ["busy-support"], "companies": [BUSY], "level": 20}
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("SET jit = off")  # as period_figures sets them
        conn.execute(f"SET work_mem = '{WORK_MEM}'")
        plan = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement(True, True)}", params).fetchall()
    return [row[0] for row in plan]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="CDR legs in the store (about)")
    parser.add_argument("--busy", type=int, default=30_000, help="calls a month to the busy queue")
    parser.add_argument("--asks", type=int, default=40, help="requests per way of asking")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL server to create the database on")
    parser.add_argument("--keep", action="store_true", help="keep the database (print its URL)")
    parser.add_argument("--build-only", action="store_true", help="build the store and stop (with --keep)")
    parser.add_argument("--url", help="measure on a store built before with --keep (no build; migrated first)")
    args = parser.parse_args()
    if args.url:
        measure(args, args.url)
        return
    with scratch_database(args.admin_url, "calldata_bench", keep=args.keep) as url:
        measure(args, url)
        if args.keep:
            print(f"kept database: {url}")


def measure(args: argparse.Namespace, url: str) -> None:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}; load average {os.getloadavg()[0]:.1f}", flush=True)
    if args.keep:
        print(f"database: {url}", flush=True)
    engine = sync_engine(url)
    began = time.perf_counter()
    upgrade(engine)
    if args.url:  # built before: the migrations added since, on the full tables
        print(f"store {url}: migrated in {time.perf_counter() - began:.1f} s", flush=True)
    else:
        with engine.begin() as conn:
            versions.save(conn, directory(), "bench/queue_stats.py")
    if not args.url:
        legs, events, seconds = build(plain, args.rows, args.busy)
        print(f"built by COPY: {legs:,} CDR legs, {events:,} queue_log events in {seconds:.1f} s"
              f" (indexes rebuilt, VACUUM ANALYZE)", flush=True)
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT EXISTS (SELECT 1 FROM queue_stay)")).scalar()
    if not kept:
        began = time.perf_counter()
        callers, stays = rebuild(engine)
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE queue_stay")
            conn.execute("VACUUM ANALYZE queue_stay_ring")
        print(f"stays kept (calldata queues rebuild): {callers:,} callers, {stays:,} stays in"
              f" {time.perf_counter() - began:.1f} s", flush=True)
    engine.dispose()
    if args.build_only:
        return
    month = {"year": YEAR, "month": MONTH, "queues": ["busy-support"]}
    run = uuid.uuid4().hex[:8]  # users of this run (a kept store is measured again)
    ways = {
        "admin, every queue event": (key(url, f"admin-{run}", SYSTEM_ADMIN, []), month),
        "admin, company busy": (key(url, f"admin2-{run}", SYSTEM_ADMIN, []), {**month, "company": BUSY}),
        "user scoped to busy": (key(url, f"scoped-{run}", BILLING_CALL_REPORTING, [BUSY]), month),
    }
    print(f"\n{BUSY}-support, {YEAR}-{MONTH:02d}, {args.asks} requests each, one client:")
    print(f"{'asked as':<28} {'offered':>8} {'p50 ms':>8} {'p95 ms':>8} {'server CPU':>10} {'PG CPU':>7}  load")
    print(f"{'':<28} {'':>8} {'':>8} {'':>8} {'ms/ask':>10} {'ms/ask':>7}")
    with serving(plain) as (base, server):
        for title, (token, scope) in ways.items():
            timed(base, token, scope, 1)  # warm
            server_before, pg_before = cpu_seconds(server.pid), backends_cpu(plain)
            seconds, answer = timed(base, token, scope, args.asks)
            server_cpu = (cpu_seconds(server.pid) - server_before) / args.asks
            pg_cpu = sum(t - pg_before.get(pid, 0.0) for pid, t in backends_cpu(plain).items()) / args.asks
            figures = answer["values"]["busy-support"]
            print(f"{title:<28} {figures['offered']:>8,} {ms(seconds, 0.5):>8.1f} {ms(seconds, 0.95):>8.1f}"
                  f" {1000 * server_cpu:>10.1f} {1000 * pg_cpu:>7.1f}  {os.getloadavg()[0]:.1f}", flush=True)
    print(f"  figures: {json.dumps({k: v for k, v in figures.items() if k != 'agents'})}")
    print("\nEXPLAIN ANALYZE of the statement (company busy):")
    for line in explain(url):
        print(f"  {line}")


if __name__ == "__main__":
    main()
