"""Benchmark: /rest/call/read at 1M and at 20M rows on PostgreSQL (issue 14, item 3).

Usage: .venv/bin/python bench/scale.py [--rows 20000000] [--small 1000000] [--samples 200] [--rounds 4]
                                       [--admin-url URL] [--keep] [--url-small URL --url-large URL]

Builds two attributed stores in scratch databases (dropped at the end unless `--keep`) by COPY of
the rows bench/read_api.py generates (secondary indexes dropped first, rebuilt after, cdr_key
filled, VACUUM ANALYZE), or reuses kept ones (`--url-small`, `--url-large`). It serves both with
`calldata serve` and times single 500-row pages over HTTP (p50/p95), the two stores in turns
(`--rounds`), of three kinds at random points: the minID walk, a one-day date window from a minID
inside it, and a company filter (a key granted one common company). On the large store it then pulls every row (rows/s) while sampling
the server's VmRSS every 0.5 s (start/max/end), and reports disk bytes per row: cdr (partitions
and their indexes) and cdr_key over the rows.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import statistics
import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import msgspec
import psycopg

from calldata.auth import keys, users
from calldata.auth.permissions import BILLING_CALL_SUMMARY
from calldata.store import partitions
from calldata.store.engine import sync_engine, upgrade
from calldata.store.scratch import scratch_database
from read_api import ADMIN_URL, LOADED, PAGE, generate, machine, pull_all, serving

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COMMON = "acme"  # the company of ~30% of the rows (read_api.WEIGHTS)


def build(url: str, rows: int) -> float:
    """`rows` generated rows COPYed into cdr (secondary indexes rebuilt after), cdr_key filled; seconds."""
    began = time.perf_counter()
    engine = sync_engine(url)
    upgrade(engine)
    with engine.begin() as conn:  # the partitions the COPY needs, as ingestion makes them ahead
        partitions.ensure_through(conn, rows + 1)
    engine.dispose()
    columns = ", ".join(f'"{c}"' for c in LOADED)
    with psycopg.connect(url) as conn:
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cdr' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = 'cdr'::regclass)").fetchall()
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.commit()
        step = 1_000_000
        for first in range(0, rows, step):
            with conn.cursor().copy(f"COPY cdr ({columns}) FROM STDIN") as copy:
                for row in generate(min(step, rows - first), first, seed=first):
                    copy.write_row(row)
            conn.commit()
            print(f"  {first + min(step, rows - first):,} rows in {time.perf_counter() - began:.0f} s", flush=True)
        for _name, definition in indexes:
            conn.execute(definition.replace(" ON ONLY ", " ON "))  # a partitioned index: on every partition
        conn.execute("INSERT INTO cdr_key (natkey, acctid) SELECT natkey, acctid FROM cdr")
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE cdr")
        conn.execute("VACUUM ANALYZE cdr_key")
    return time.perf_counter() - began


def api_key(url: str, companies: list[str]) -> str:
    """An API key of a new billing user, for every row or (with `companies`) only theirs."""
    engine = sync_engine(url)
    with engine.begin() as conn:
        login = f"bench-{uuid.uuid4().hex[:8]}"
        user_id = users.add_user(conn, login, uuid.uuid4().hex, profile="CHEAPEST", actor="bench")
        users.grant(conn, login, BILLING_CALL_SUMMARY, companies, actor="bench")
        _key_id, key = keys.create(conn, user_id, pepper=os.environ.get("CALLDATA_TOKEN_PEPPER", ""), actor="bench")
    engine.dispose()
    return key


def disk(url: str) -> tuple[int, int, int]:
    """Bytes of cdr (its partitions with their indexes and TOAST), of cdr_key, and the rows."""
    with psycopg.connect(url) as conn:
        cdr_bytes, key_bytes, rows = conn.execute(
            "SELECT (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits"
            "        WHERE inhparent = 'cdr'::regclass) + pg_total_relation_size('cdr'),"
            " pg_total_relation_size('cdr_key'), (SELECT count(*) FROM cdr)").fetchone()
    return int(cdr_bytes), int(key_bytes), int(rows)


def page_times(base: str, key: str, url: str, samples: int, seed: int = 7) -> dict[str, list[float]]:
    """Seconds of single 500-row pages of each kind at random points (each point read once first)."""
    with psycopg.connect(url) as conn:
        low, high = conn.execute("SELECT min(acctid), max(acctid) FROM cdr").fetchone()
        rng = random.Random(seed)
        starts = [rng.randrange(low, high - 10 * PAGE) for _ in range(samples)]
        # the start of the row at each point, read, not estimated: the generated rows' gaps are
        # random, and at 20M rows an estimate from acctid is hours off (a window that began after
        # its minID's row would time a window's first page, which reads the window's start)
        began = {m: conn.execute("SELECT calldate FROM cdr WHERE acctid >= %s ORDER BY acctid LIMIT 1",
                                 (m,)).fetchone()[0] for m in starts}

    def window(min_id: int) -> str:  # a day from an hour before min_id's row: min_id inside it
        begin = int((began[min_id] - timedelta(hours=1) - EPOCH).total_seconds() * 1000)
        return f'"minDate":{begin},"maxDate":{begin + 86_400_000},'

    kinds = {
        "minID walk": (key, lambda m: b'{"scope":{"minID":%d,"maxRows":%d}}' % (m, PAGE)),
        "one-day window + minID": (key, lambda m: b'{"scope":{%s"minID":%d,"maxRows":%d}}' % (window(m).encode(), m, PAGE)),
        f"company filter ({COMMON})": (scoped_key(url), lambda m: b'{"scope":{"minID":%d,"maxRows":%d}}' % (m, PAGE)),
    }
    where = urlsplit(base)
    times: dict[str, list[float]] = {}
    for label, (token, body) in kinds.items():
        client = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def ask(min_id: int) -> float:
            began = time.perf_counter()
            client.request("POST", "/rest/call/read", body(min_id), headers)
            response = client.getresponse()
            content = response.read()
            spent = time.perf_counter() - began
            assert response.status == 200 and msgspec.json.decode(content)["numRows"] == PAGE, content[:200]
            return spent

        for min_id in starts:  # every point in the cache first, at both sizes alike
            ask(min_id)
        times[label] = [ask(min_id) for min_id in starts]
        client.close()
    return times


_SCOPED: dict[str, str] = {}


def scoped_key(url: str) -> str:
    """The key granted COMMON only (made once per store)."""
    if url not in _SCOPED:
        _SCOPED[url] = api_key(url, [COMMON])
    return _SCOPED[url]


def ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def vm_rss(pid: int) -> int:
    """The process's resident set in kB (/proc/PID/status)."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def pull_with_rss(base: str, key: str, server: subprocess.Popen[str]) -> tuple[tuple[int, float, int], list[int]]:
    """`pull_all` while the server's VmRSS is sampled every 0.5 s."""
    samples = [vm_rss(server.pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            samples.append(vm_rss(server.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        pulled = pull_all(base, key)
    finally:
        done.set()
        sampler.join()
    samples.append(vm_rss(server.pid))
    return pulled, samples


def load_average() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def measure(stores: dict[str, str], samples: int, rounds: int) -> dict[str, dict[str, Any]]:
    """Page times of each store (its rows, as a label -> URL), in `rounds` turns: every store served
    at once and its share of the points timed in turn, so a machine whose speed swings meets every
    size alike (one store after the other once put the same 20M store's minID walk at 1.86 of 1M,
    in turns 1.06). Then the last (largest) store's full pull with the server's RSS, and each
    store's disk."""
    results: dict[str, dict[str, Any]] = {label: {"load": load_average(), "pages": {}} for label in stores}
    with contextlib.ExitStack() as stack:
        served = {label: (*stack.enter_context(serving(url)), api_key(url, [])) for label, url in stores.items()}
        for turn in range(rounds):
            for label, url in stores.items():
                base, _server, key = served[label]
                for kind, times in page_times(base, key, url, max(1, samples // rounds), seed=7 + turn).items():
                    results[label]["pages"].setdefault(kind, []).extend(times)
        largest = list(stores)[-1]
        base, server, key = served[largest]
        results[largest]["pull"], results[largest]["rss"] = pull_with_rss(base, key, server)
    for label, url in stores.items():
        results[label]["disk"] = disk(url)
        results[label]["load"] += f" -> {load_average()}"
        print(f"measured {label} rows, load {results[label]['load']}", flush=True)
    return results


def report(results: dict[str, dict[str, Any]]) -> None:
    sizes = list(results)
    print("\n500-row page over HTTP, p50 / p95 ms (random points, each read once before):")
    for kind in results[sizes[0]]["pages"]:
        figures = []
        for size in sizes:
            times = results[size]["pages"][kind]
            figures.append(f"{size}: {statistics.median(times) * 1000:6.2f} / {ms(times, 0.95):6.2f}")
        ratio = ms(results[sizes[-1]]["pages"][kind], 0.95) / ms(results[sizes[0]]["pages"][kind], 0.95)
        print(f"  {kind:<28} {'   '.join(figures)}   p95 ratio {ratio:.2f} (aim <= 1.2)")
    for size, found in results.items():
        cdr_bytes, key_bytes, rows = found["disk"]
        print(f"\n{size}: disk cdr {cdr_bytes / 1e9:.2f} GB + cdr_key {key_bytes / 1e9:.2f} GB for {rows:,} rows:"
              f" {(cdr_bytes + key_bytes) / rows:.0f} bytes a row ({cdr_bytes / rows:.0f} cdr, {key_bytes / rows:.0f} cdr_key)")
        if "pull" in found:
            pulled, seconds, size_bytes = found["pull"]
            rss = found["rss"]
            print(f"  full pull: {pulled:,} rows in {seconds:.1f} s, {pulled / seconds:,.0f} rows/s,"
                  f" {size_bytes / 1e9:.2f} GB JSON")
            print(f"  server VmRSS during it ({len(rss)} samples): start {rss[0] / 1024:.1f} MiB,"
                  f" max {max(rss) / 1024:.1f} MiB, end {rss[-1] / 1024:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000_000, help="rows of the large store")
    parser.add_argument("--small", type=int, default=1_000_000, help="rows of the small store")
    parser.add_argument("--samples", type=int, default=200, help="pages timed per kind and size")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL server to create the databases on")
    parser.add_argument("--keep", action="store_true", help="keep the databases (print their URLs)")
    parser.add_argument("--url-small", help="a kept small store to measure (no build)")
    parser.add_argument("--url-large", help="a kept large store to measure (no build)")
    parser.add_argument("--build-only", action="store_true", help="build (with --keep) and stop")
    parser.add_argument("--rounds", type=int, default=4, help="turns of the page timings between the stores")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}; load {load_average()}", flush=True)
    stores: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        for label, rows, kept in (("small", args.small, args.url_small), ("large", args.rows, args.url_large)):
            if kept:
                stores[f"{rows:,}"] = kept
                continue
            url = stack.enter_context(scratch_database(args.admin_url, f"calldata_scale_{label}", keep=args.keep))
            plain = url.replace("postgresql+psycopg://", "postgresql://")
            print(f"building {label}: {rows:,} rows (load {load_average()})", flush=True)
            print(f"built in {build(plain, rows):.0f} s (load {load_average()})", flush=True)
            if args.keep:
                print(f"kept database: {plain}", flush=True)
            stores[f"{rows:,}"] = plain
        if not args.build_only:
            report(measure(stores, args.samples, args.rounds))


if __name__ == "__main__":
    main()
