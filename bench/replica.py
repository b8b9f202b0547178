"""Benchmark: the read API on a PostgreSQL hot standby (CALLDATA_READ_DATABASE_URL) against the primary.

Usage: .venv/bin/python bench/replica.py [--rows N] [--ingest-seconds S]

Starts a scratch primary and a hot standby of it (initdb, pg_basebackup: calldata.store.scratch),
COPYs `--rows` generated legs into the primary and waits for the standby. Then it pulls every row
with 500-row pages through `calldata serve` twice, reading from the primary and from the standby,
and by COPY TO on the standby (the floor), printing rates and ratios. Last, it stores batches on
the primary through the ingestion path for `--ingest-seconds` while pulling from the standby and
samples the standby's replay lag (bytes of WAL not yet replayed).
"""

from __future__ import annotations

import argparse
import threading
import time
from datetime import UTC, datetime

import psycopg
from read_api import billing_key, copy_all, load, machine, pull_all, served

from calldata.cdr import Cdr
from calldata.ingest.sink import store_batch
from calldata.store.engine import sync_engine, upgrade
from calldata.store.scratch import Pair, caught_up, streaming_pair


def ingest(url: str, stop: threading.Event, stored: list[int]) -> None:
    """Store 200-leg batches through the ingestion path until told to stop."""
    engine = sync_engine(url)
    n = 0
    while not stop.is_set():
        legs = [Cdr(start=datetime(2027, 1, 1, tzinfo=UTC), uniqueid=f"bench.{n + i}", channel=f"SIP/x-{n + i}",
                    src="201", dst="202", duration=30, billsec=25, disposition="ANSWERED") for i in range(200)]
        with engine.begin() as conn:
            store_batch(conn, legs)
        n += len(legs)
    stored.append(n)
    engine.dispose()


def lag_samples(pair: Pair, stop: threading.Event) -> list[int]:
    """Bytes of the primary's WAL the standby has not replayed, every 50 ms until stopped."""
    samples: list[int] = []
    with psycopg.connect(pair.primary, autocommit=True) as primary, psycopg.connect(pair.replica, autocommit=True) as replica:
        while not stop.is_set():
            written = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
            behind = replica.execute(
                "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())", (written,)
            ).fetchone()[0]  # type: ignore[index]
            samples.append(max(0, int(behind)))
            time.sleep(0.05)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300_000, help="legs loaded before the pulls")
    parser.add_argument("--ingest-seconds", type=float, default=10.0, help="how long to ingest while pulling")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}")
    with streaming_pair() as pair:
        engine = sync_engine(pair.primary)
        upgrade(engine)
        engine.dispose()
        key = billing_key(pair.primary)
        print(f"loaded {args.rows:,} rows into the primary in {load(pair.primary, args.rows, 0):.1f} s")
        began = time.perf_counter()
        caught_up(pair, timeout=600)
        print(f"standby caught up {time.perf_counter() - began:.1f} s later")
        replica_env = {"CALLDATA_READ_DATABASE_URL": pair.replica}
        figures = {}
        for name, env in (("primary", {}), ("standby", replica_env)):
            with served(pair.primary, env=env) as base:
                pull_all(base, key)  # warm both the server and the cache
                rows, seconds, _ = pull_all(base, key)
                figures[name] = rows / seconds
        copy_all(pair.replica)
        copy_rows, copy_s, _ = copy_all(pair.replica)
        floor = copy_rows / copy_s
        print(f"\nfull pull of {copy_rows:,} rows, 500 a page:")
        for name, rate in figures.items():
            print(f"  HTTP reading from the {name:<8} {rate:10,.0f} rows/s  ratio to the standby's COPY {rate / floor:.3f}")
        print(f"  COPY TO on the standby (floor)   {floor:10,.0f} rows/s")

        stop, stored = threading.Event(), []
        writer = threading.Thread(target=ingest, args=(pair.primary, stop, stored))
        sampled: list[list[int]] = []
        sampler = threading.Thread(target=lambda: sampled.append(lag_samples(pair, stop)))
        with served(pair.primary, env=replica_env) as base:
            writer.start()
            sampler.start()
            deadline, pulls = time.monotonic() + args.ingest_seconds, 0
            while time.monotonic() < deadline:
                pull_all(base, key)
                pulls += 1
            stop.set()
            writer.join()
            sampler.join()
        [samples] = sampled
        wal = sorted(samples)
        print(f"\ningesting on the primary while pulling from the standby ({args.ingest_seconds:.0f} s,"
              f" {stored[0]:,} legs stored, {stored[0] / args.ingest_seconds:,.0f} legs/s, {pulls} full pulls):")
        print(f"  standby behind by WAL bytes: median {wal[len(wal) // 2]:,}  p95 {wal[int(len(wal) * 0.95)]:,}"
              f"  max {wal[-1]:,} ({len(wal)} samples every 50 ms)")


if __name__ == "__main__":
    main()
