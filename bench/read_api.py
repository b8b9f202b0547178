"""Benchmark: pulling every CDR through `POST /rest/call/read` over HTTP, against PostgreSQL COPY.

Usage: .venv/bin/python bench/read_api.py [--rows N] [--small N] [--slices N] [--admin-url URL] [--keep]

Creates a fresh PostgreSQL database, loads `--small` generated rows, then up to `--rows`; at both
sizes it times single pages (median, p95) to show a page does not get slower as the table grows.
Then it serves the store with `calldata serve` in a subprocess and pulls every row with 500-row
pages following minID (http.client over TCP, as a billing client does), and exports the same rows with
`COPY (SELECT ... ORDER BY acctid) TO STDOUT` (the floor); it prints both rates and their ratio.
Last it takes the pull and COPY in turns, a slice of the table each (`--slices`), and prints that
ratio too: on a machine whose speed swings within a minute, the measure both halves meet alike.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec
import psycopg
from sqlalchemy import text

from calldata.auth import keys, users
from calldata.auth.permissions import BILLING_CALL_SUMMARY
from calldata.cdr import Cdr
from calldata.store import partitions, reads
from calldata.store.cdrs import cdr_values
from calldata.store.engine import sync_engine, upgrade
from calldata.store.schema import PROPERTY_FLAGS, PROPERTY_TEXT, RENDERED_COLUMNS, cdr
from calldata.store.scratch import scratch_database

PAGE = 500
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# the columns a row of the API carries, as COPY exports them
EXPORTED = [*reads.BASE_COLUMNS, *PROPERTY_TEXT, *PROPERTY_FLAGS]
LOADED = [c.name for c in cdr.columns if c.name not in ("acctid", *RENDERED_COLUMNS)]

COMPANIES = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka",
             "tyrell", "cyberdyne", "soylent", "vandelay"]
WEIGHTS = [30, 18, 12, 10, 8, 6, 5, 4, 3, 2, 1, 1]


def generate(count: int, first: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """`count` plausible legs (a row of the cdr table each, attributed), numbered from `first`."""
    rng = random.Random(seed)
    t = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=3 * first)
    for i in range(first, first + count):
        t += timedelta(seconds=rng.expovariate(1 / 3))
        company = rng.choices(COMPANIES, WEIGHTS)[0]
        ext = str(200 + rng.randrange(40))
        outbound = rng.random() < 0.45
        number = f"01{rng.randrange(100_000_000, 999_999_999)}"
        answered = rng.random() < 0.7
        talk = int(rng.expovariate(1 / 120)) if answered else 0
        ring = rng.randrange(1, 25)
        uid = f"{int(t.timestamp())}.{i}"
        record = Cdr(
            start=t,
            answer=t + timedelta(seconds=ring) if answered else None,
            end=t + timedelta(seconds=ring + talk),
            clid=f'"{company.title()} {ext}" <{ext}>' if outbound else f'"" <{number}>',
            src=ext if outbound else number,
            dst=f"9{number}" if outbound else ext,
            dcontext=company if outbound else "from-carrier",
            channel=f"PJSIP/{company}-{ext}-{i:08x}" if outbound else f"IAX2/carrier1-{i % 9999}",
            dstchannel=f"IAX2/carrier1-{i % 9999}" if outbound else f"PJSIP/{company}-{ext}-{i:08x}",
            lastapp="Dial",
            lastdata=f"IAX2/carrier1/{number},60,T" if outbound else f"PJSIP/{company}-{ext},30,tT",
            duration=ring + talk,
            billsec=talk,
            disposition="ANSWERED" if answered else rng.choice(["NOANSWER", "BUSY", "FAILED"]),
            amaflags=3,
            accountcode=company,
            uniqueid=uid,
            linkedid=uid,
            sequence=i,
        )
        values = cdr_values(record)
        values |= {
            "company": company if outbound else "",
            "target": "" if outbound else company,
            "src_ext": ext if outbound else "",
            "dial_short": record.dst,
            "dial_full": "44" + number[1:] if outbound else ext,
            "trunk": "carrier1",
            "bill_to": company if outbound else "",
            "xfer": "",
            "auth": "",
            "call_rec": "",
            "is_ivr": not outbound and rng.random() < 0.2,
            "is_park": False,
            "is_pick": rng.random() < 0.02,
            "is_auth": False,
            "is_bounce": False,
            "call": uid,
            "directory_version": 1,
        }
        yield tuple(values.get(name) for name in LOADED)


def load(url: str, count: int, first: int) -> float:
    """COPY `count` generated rows in (the partitions they need made first, as ingestion makes them
    ahead: COPY straight into cdr would fill the tail); seconds taken."""
    began = time.perf_counter()
    engine = sync_engine(url)
    with engine.begin() as conn:
        partitions.ensure_through(conn, first + count)
    engine.dispose()
    columns = ", ".join(f'"{c}"' for c in LOADED)
    with psycopg.connect(url) as conn:
        with conn.cursor().copy(f"COPY cdr ({columns}) FROM STDIN") as copy:
            for row in generate(count, first, seed=first):
                copy.write_row(row)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE cdr")
    return time.perf_counter() - began


def billing_key(url: str) -> str:
    """An API key of a billing user allowed to read every row (the API needs one)."""
    engine = sync_engine(url)
    with engine.begin() as conn:
        user_id = users.add_user(conn, "bench", uuid.uuid4().hex, profile="CHEAPEST", actor="bench")
        users.grant(conn, "bench", BILLING_CALL_SUMMARY, [], actor="bench")
        _key_id, key = keys.create(conn, user_id, pepper=os.environ.get("CALLDATA_TOKEN_PEPPER", ""), actor="bench")
    engine.dispose()
    return key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The same app without its identity middleware: only to show what the identity step costs.
WITHOUT_IDENTITY = """
import sys, uvicorn
from calldata.api.app import create_app
from calldata.api.auth_routes import AuthMiddleware
from calldata.config import Settings
app = create_app(Settings(database_url=sys.argv[1]))
app.user_middleware = [m for m in app.user_middleware if m.cls is not AuthMiddleware]
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), access_log=False, log_level="warning")
"""


@contextmanager
def served(url: str, identity: bool = True, env: dict[str, str] | None = None) -> Iterator[str]:
    """`calldata serve` on the store, in a subprocess; its base URL."""
    with serving(url, identity, env) as (base, _proc):
        yield base


@contextmanager
def serving(
    url: str, identity: bool = True, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`calldata serve` on the store, in a subprocess, answering /health: its base URL and the
    process (bench/export_memory.py samples its memory); `env`: more CALLDATA_* settings."""
    port = free_port()
    command = (
        ["-m", "calldata", "--database-url", url, "serve", "--port", str(port), "--no-access-log"]
        if identity
        else ["-c", WITHOUT_IDENTITY, url, str(port)]
    )
    proc = subprocess.Popen([sys.executable, *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"calldata serve exited:\n{proc.stderr.read() if proc.stderr else ''}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# What a billing client decodes a page into: every member of every row, typed (call-read.md).
INTEGERS = {"acctid", "duration", "billsec", "amaflags"}
ApiProperties = msgspec.defstruct(
    "ApiProperties",
    [(name, str, "") for name in PROPERTY_TEXT] + [(name, bool, False) for name in PROPERTY_FLAGS],
    forbid_unknown_fields=True,
    gc=False,
)
ApiRow = msgspec.defstruct(
    "ApiRow",
    [(name, int if name in INTEGERS else str) for name in reads.BASE_COLUMNS] + [("properties", ApiProperties)],
    forbid_unknown_fields=True,
    gc=False,
)
ApiPage = msgspec.defstruct("ApiPage", [("result", str), ("numRows", int), ("values", list[ApiRow])], gc=False)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have spent (from /proc)."""
    ticks = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving `url`'s database (the API's pool)."""
    with psycopg.connect(url) as conn:
        return [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]


def pull_cpu(base: str, key: str, server: int, url: str) -> tuple[tuple[int, float, int], str]:
    """`pull_all`, and the CPU per page it cost the server, PostgreSQL and this client."""
    pids = backends(url)
    began = (cpu_seconds([server]), cpu_seconds(pids), time.process_time())
    pulled = pull_all(base, key)
    spent = (cpu_seconds([server]) - began[0], cpu_seconds(pids) - began[1], time.process_time() - began[2])
    pages = max(1, pulled[0] // PAGE)
    return pulled, "CPU per page: server {:.2f} ms, PostgreSQL {:.2f} ms, client {:.2f} ms".format(
        *(1000 * s / pages for s in spent))


def pull_all(base: str, key: str, first: int = 0, end: int | None = None) -> tuple[int, float, int]:
    """Every row through the API (from acctid `first`, until a page reaches `end`), 500 a page
    following minID: rows, seconds, bytes.

    The client is the standard library's http.client on one keep-alive connection (what a
    billing system's plain HTTP client costs; httpx spends ~15% more per page), and every page
    is fully decoded and type-checked into records (msgspec Structs: ~0.8 ms a page with freeing it,
    plain dicts ~1.4 ms).
    """
    rows = size = 0
    min_id = first
    decoder = msgspec.json.Decoder(ApiPage)
    where = urlsplit(base)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    client = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=60)
    began = time.perf_counter()
    try:
        while True:
            client.request("POST", "/rest/call/read", b'{"scope":{"minID":%d,"maxRows":%d}}' % (min_id, PAGE), headers)
            response = client.getresponse()
            content = response.read()
            assert response.status == 200, content[:200]
            size += len(content)
            values = decoder.decode(content).values
            if not values:
                break
            rows += len(values)
            min_id = values[-1].acctid + 1
            if end is not None and min_id >= end:
                break
    finally:
        client.close()
    return rows, time.perf_counter() - began, size


def copy_all(url: str, first: int = 0, end: int | None = None) -> tuple[int, float, int]:
    """The same rows (acctid `first` up to `end`) by COPY (SELECT ... ORDER BY acctid) TO STDOUT:
    rows, seconds, bytes."""
    columns = ", ".join(f'"{c}"' for c in EXPORTED)
    where = f"acctid >= {first:d}" + ("" if end is None else f" AND acctid < {end:d}")
    size = rows = 0
    began = time.perf_counter()
    with psycopg.connect(url) as conn:
        with conn.cursor().copy(f"COPY (SELECT {columns} FROM cdr WHERE {where} ORDER BY acctid) TO STDOUT") as copy:
            for block in copy:
                size += len(block)
                rows += bytes(block).count(b"\n")
    return rows, time.perf_counter() - began, size


def interleaved(base: str, key: str, server: int, url: str, slices: int) -> tuple[float, float, str]:
    """The pull and COPY taken in turns, a `slices`-th of the table each: both rates (rows/s),
    and the pull's CPU a page. This machine's speed swings by up to 2x within a minute
    (bench/RESULTS.md), so a whole pull and a whole COPY a minute apart can meet different
    machines; slices of a few seconds each, alternated, meet the same ones."""
    with psycopg.connect(url) as conn:
        low, high = conn.execute("SELECT min(acctid), max(acctid) FROM cdr").fetchone()  # type: ignore[misc]
    bounds = [low + (high + 1 - low) * i // slices for i in range(slices + 1)]
    pids = backends(url)
    http = [0, 0.0]
    copy = [0, 0.0]
    cpu = [0.0, 0.0, 0.0]
    for first, end in zip(bounds, bounds[1:]):
        began = (cpu_seconds([server]), cpu_seconds(pids), time.process_time())
        rows, seconds, _ = pull_all(base, key, first, end)
        spent = (cpu_seconds([server]) - began[0], cpu_seconds(pids) - began[1], time.process_time() - began[2])
        http = [http[0] + rows, http[1] + seconds]
        cpu = [c + s for c, s in zip(cpu, spent)]
        rows, seconds, _ = copy_all(url, first, end)
        copy = [copy[0] + rows, copy[1] + seconds]
    pages = max(1, http[0] // PAGE)
    return http[0] / http[1], copy[0] / copy[1], "CPU per page: server {:.2f} ms, PostgreSQL {:.2f} ms, client {:.2f} ms".format(
        *(1000 * c / pages for c in cpu))


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"median {statistics.median(ms):6.2f} ms  p95 {p95:6.2f} ms"


def page_latency(base: str, key: str, url: str, samples: int) -> dict[str, str]:
    """Single-page times: HTTP at random minIDs, and the filtered reads in-process at the store."""
    engine = sync_engine(url)
    reads.prepare(engine, "UTC")
    with engine.connect() as conn:
        low, high, first, last = conn.execute(
            text("SELECT min(acctid), max(acctid), min(calldate), max(calldate) FROM cdr")
        ).one()
    rng = random.Random(7)
    starts = [rng.randrange(low, max(low + 1, high - PAGE)) for _ in range(samples)]
    results: dict[str, str] = {}
    with engine.connect() as conn:  # the sampled rows in the cache first, at every table size alike
        for min_id in starts:
            reads.read_page(conn, reads.PageQuery(min_id=min_id, max_rows=PAGE))

    with httpx.Client(base_url=base, timeout=60, headers={"authorization": f"Bearer {key}"}) as client:
        health: list[float] = []
        for _ in starts:  # one HTTP round trip and one database round trip, no identity check
            began = time.perf_counter()
            client.get("/health")
            health.append(time.perf_counter() - began)
        results["HTTP GET /health (no auth, SELECT 1)"] = percentiles(health)
        for rows in (PAGE, 1):
            http: list[float] = []
            for min_id in starts:
                began = time.perf_counter()
                r = client.post("/rest/call/read", content=b'{"scope":{"minID":%d,"maxRows":%d}}' % (min_id, rows))
                http.append(time.perf_counter() - began)
                assert r.status_code == 200 and r.json()["numRows"] == rows, r.text[:200]
            results[f"HTTP page of {rows}, random minID (auth + read)"] = percentiles(http)

    def store(label: str, scope: Callable[[int], dict[str, Any]]) -> None:
        times: list[float] = []
        with engine.connect() as conn:
            for min_id in starts:
                began = time.perf_counter()
                reads.read_page(conn, reads.PageQuery(max_rows=PAGE, **scope(min_id)))
                times.append(time.perf_counter() - began)
        results[label] = percentiles(times)

    span = last - first
    day = timedelta(days=1)
    store("store page, minID only", lambda m: {"min_id": m})
    store("store page, one-day window from minID 0",
          lambda m: {"min_date": first + span * ((m - low) / (high - low)), "max_date": first + span * ((m - low) / (high - low)) + day})
    store("store page, one-day window + minID",
          lambda m: {"min_id": m, "min_date": first + span * ((m - low) / (high - low)), "max_date": first + span * ((m - low) / (high - low)) + day})
    store("store page, company filter (1 common)", lambda m: {"min_id": m, "companies": ["acme"]})
    store("store page, company filter (2 rare)", lambda m: {"min_id": m, "companies": ["soylent", "vandelay"]})
    engine.dispose()
    return results


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    pg = psycopg.connect(ADMIN_URL).execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return f"{os.cpu_count()} cores ({model}), PostgreSQL {pg}, Python {sys.version.split()[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the table for the full pull")
    parser.add_argument("--small", type=int, default=100_000, help="table size of the first latency sample")
    parser.add_argument("--samples", type=int, default=200, help="single pages timed at each size")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL server to create the database on")
    parser.add_argument("--slices", type=int, default=20, help="turns of pull and COPY in the interleaved measure")
    parser.add_argument("--keep", action="store_true", help="keep the database (print its URL)")
    parser.add_argument("--without-identity", action="store_true",
                        help="also pull through the app without its identity middleware (what that step costs)")
    args = parser.parse_args()

    with scratch_database(args.admin_url, "calldata_bench", keep=args.keep) as url:
        measure(args, url)


def measure(args: argparse.Namespace, url: str) -> None:
    """Load, serve and pull on the database at `url`, printing every figure."""
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}")
    try:
        engine = sync_engine(url)
        upgrade(engine)
        engine.dispose()
        key = billing_key(url)
        latency: dict[int, dict[str, str]] = {}
        loaded = 0
        with serving(plain_url) as (base, server):
            for size in sorted({min(args.small, args.rows), args.rows}):
                seconds = load(plain_url, size - loaded, loaded)
                print(f"loaded {size - loaded:,} rows in {seconds:.1f} s (table: {size:,})")
                loaded = size
                latency[size] = page_latency(base, key, plain_url, args.samples)
            copy_all(plain_url)  # warm the cache the same for both
            pull_all(base, key)  # the server's statements prepared, its pool filled
            (http_rows, http_s, http_bytes), cpu = pull_cpu(base, key, server.pid, plain_url)
            copy_rows, copy_s, copy_bytes = copy_all(plain_url)
            turns = interleaved(base, key, server.pid, plain_url, args.slices)
        bare_rows = bare_s = 0.0
        if args.without_identity:
            with served(plain_url, identity=False) as bare:
                bare_rows, bare_s, _ = pull_all(bare, key)
        assert http_rows == copy_rows == loaded, (http_rows, copy_rows, loaded)
        http_rate, copy_rate = http_rows / http_s, copy_rows / copy_s
        print(f"\npage latency, {PAGE} rows a page ({args.samples} pages at random minIDs):")
        for size, figures in latency.items():
            for label, figure in figures.items():
                print(f"  {size:>10,} rows  {label:<42} {figure}")
        print(f"\nfull pull of {loaded:,} rows:")
        print(f"  HTTP /rest/call/read, {PAGE}/page  {http_s:7.2f} s  {http_rate:10,.0f} rows/s  {http_bytes / 1e6:8.1f} MB JSON")
        print(f"  COPY ... TO STDOUT (floor)       {copy_s:7.2f} s  {copy_rate:10,.0f} rows/s  {copy_bytes / 1e6:8.1f} MB text")
        print(f"  ratio HTTP / COPY: {http_rate / copy_rate:.3f} (target >= 0.6)")
        print(f"  {cpu}")
        print(f"taken in turns, {args.slices} slices of the table each (the measure of the ratio):")
        print(f"  HTTP {turns[0]:10,.0f} rows/s  COPY {turns[1]:10,.0f} rows/s  ratio {turns[0] / turns[1]:.3f}"
              " (target >= 0.6)")
        print(f"  {turns[2]}")
        if bare_s:
            bare_rate = bare_rows / bare_s
            print(f"  same pull without the identity middleware: {bare_s:7.2f} s  {bare_rate:10,.0f} rows/s"
                  f"  ratio {bare_rate / copy_rate:.3f}")
    finally:
        if args.keep:
            print(f"kept database: {plain_url}")

if __name__ == "__main__":
    main()
