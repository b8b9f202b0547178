"""Rating speed: legs per CPU-second of the decision alone, and what rating adds to an import.

    .venv/bin/python bench/rating.py [--legs 1000000] [--rows 100000] [--postgres postgresql://...] [--alone]

Rating alone: `Rater.rate` over synthetic answered outside legs (numbers drawn from the demo
decks' prefixes plus random digits, a tenth matching no prefix, answers spread over a month so
every band is hit) against the three demo decks, timed with `time.process_time` (what one core
spent: the fair figure on a shared machine). Floor: one pure-Python pass over the same fields.

Import: a generated Master.csv (`calldata.demo.generator` for the example directory, written by
`calldata.demo.cdr_csv`) imported into an emptied PostgreSQL store by `ingest.importer.import_file`,
on top of the month before (imported and analysed first, as in a store in use),
three ways: attribution only (rating switched off, as before rating existed), rating with a
directory naming no deck (every outside leg unrated), and rating with the demo decks named.
Each is best of `--runs`; the ratio of the last to the first is the cost of rating.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from calldata.attribution import refresh, versions
from calldata.attribution.directory import load_directory
from calldata.demo.cdr_csv import write_csv
from calldata.demo.demo import EXAMPLE_DIRECTORY
from calldata.demo.generator import generate
from calldata.ingest.importer import import_file
from calldata.rating import decks
from calldata.rating.bands import DEFAULT_PEAK, parse_peak
from calldata.rating.deck import read_deck
from calldata.rating.prefixes import PrefixTable
from calldata.rating.rater import RATED, DeckVersion, Plan, Rater
from calldata.store.engine import sync_engine, upgrade
from calldata.store.scratch import scratch_database

DECKS = Path(__file__).resolve().parents[1] / "src" / "calldata" / "demo" / "decks"
NAMES = ("carrier1", "globex-gateway", "uk-retail")


def demo_decks() -> list[DeckVersion]:
    """The demo decks compiled as the store would (ids 1-3, GBP, 4 decimals, since always)."""
    return [DeckVersion(i, name, 1, "GBP", 4, None, parse_peak(DEFAULT_PEAK),
                        PrefixTable(read_deck((DECKS / f"{name}.csv").read_text(), f"{name}.csv")))
            for i, name in enumerate(NAMES, 1)]


def plan(zone: str) -> Plan:
    return Plan(ZoneInfo(zone), "uk-retail", {"globex": "uk-retail"}, {"carrier1": "carrier1", "globexgw": "globex-gateway"})


def synthetic_legs(n: int, seed: int = 1) -> list[tuple]:
    """(answer, billsec, disposition, bill_to, trunk, dial_full) of `n` outside legs."""
    rng = random.Random(seed)
    prefixes = sorted({row.prefix for deck in demo_decks() for row in deck.table._rows.values() for row in row})
    start = datetime(2026, 11, 1, tzinfo=UTC)
    legs = []
    for _ in range(n):
        prefix = rng.choice(prefixes) if rng.random() < 0.9 else rng.choice(("86", "7", "20", "61"))
        number = prefix + "".join(rng.choices("0123456789", k=11 - len(prefix)))
        company, trunk = rng.choice((("acme", "carrier1"), ("globex", "globexgw"), ("globex", "carrier1")))
        answer = start + timedelta(seconds=rng.randrange(30 * 86400))
        legs.append((answer, rng.choice((0, 1, 7, 30, 61, 125, 900)), "ANSWERED", company, trunk, number))
    return legs


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The shortest CPU seconds of `runs` runs of `work`."""
    best = float("inf")
    for _ in range(runs):
        began = time.process_time()
        work()
        best = min(best, time.process_time() - began)
    return best


def rate_all(rater: Rater, legs: list[tuple]) -> int:
    rate = rater.rate
    rated = 0
    for leg in legs:
        rated += rate(*leg).rating == RATED
    return rated


def floor(legs: list[tuple]) -> int:
    """One Python pass reading the fields rating reads."""
    n = 0
    for answer, billsec, disposition, bill_to, trunk, number in legs:
        n += billsec + len(number) + len(bill_to) + len(trunk) + (answer is not None) + len(disposition)
    return n


def decked(text_: str) -> str:
    """The example directory naming the demo decks (the bench's copy; the demo's own is untouched)."""
    text_ = text_.replace("  timezone: UTC\n", "  timezone: UTC\n  sell_deck: uk-retail\n", 1)
    text_ = text_.replace('    channels: ["IAX2/carrier1"]\n', '    channels: ["IAX2/carrier1"]\n    buy_deck: carrier1\n', 1)
    text_ = text_.replace("    company: globex\n", "    company: globex\n    buy_deck: globex-gateway\n", 1)
    assert text_.count("_deck:") == 3, "the example directory changed: update bench/rating.py"
    return text_


def import_once(engine: Engine, master: Path, directory: str, seeded: int) -> float:
    """Import `master` on top of the `seeded` rows already stored (as in a store in use: an
    emptied table makes PostgreSQL plan the per-batch natkey lookup as a scan of the table)."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM cdr WHERE acctid > :seeded"), {"seeded": seeded})
        conn.execute(text("TRUNCATE rate_history"))
        versions.save(conn, directory, "bench")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE cdr"))
    engine.dispose()  # no statement prepared by an earlier run
    began = time.perf_counter()
    import_file(engine, master, UTC)
    return time.perf_counter() - began


def _master(path: Path, rows: int, seed: int, start: datetime) -> int:
    records = generate(load_directory(EXAMPLE_DIRECTORY), rows=rows, seed=seed, start=start)
    with path.open("w") as stream:
        return write_csv(records, stream)


def bench_import(url: str, rows: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        seed_file, master = Path(tmp) / "October.csv", Path(tmp) / "Master.csv"
        _master(seed_file, rows, 2, datetime(2026, 10, 1, tzinfo=UTC))
        n = _master(master, rows, 1, datetime(2026, 11, 1, tzinfo=UTC))
        engine = sync_engine(url)
        upgrade(engine)
        plain_text = EXAMPLE_DIRECTORY.read_text()
        with engine.begin() as conn:
            for name in NAMES:
                decks.load(conn, (DECKS / f"{name}.csv").read_text(), f"{name}.csv", name=name, currency="GBP")
            versions.save(conn, plain_text, "bench")
        import_file(engine, seed_file, UTC)  # the month before, stored and analysed
        with engine.connect() as conn:
            seeded = conn.execute(text("SELECT max(acctid) FROM cdr")).scalar_one()
        rater_of = refresh.rater_of
        results: dict[str, float] = {}
        for _ in range(runs):  # interleaved, so the machine's swings touch all three alike
            refresh.rater_of = lambda conn, lookup: None  # attribution only: rating columns left NULL
            try:
                off = import_once(engine, master, plain_text + "\n# off\n", seeded)
            finally:
                refresh.rater_of = rater_of
            none = import_once(engine, master, plain_text, seeded)
            with_decks = import_once(engine, master, decked(plain_text), seeded)
            for key, value in (("off", off), ("none", none), ("decks", with_decks)):
                results[key] = min(results.get(key, float("inf")), value)
            print(f"  run: attribution only {off:.1f} s, no deck named {none:.1f} s, with decks {with_decks:.1f} s; "
                  f"load average {open('/proc/loadavg').read().split()[0]}", flush=True)
        with engine.connect() as conn:
            counts = dict(conn.execute(text(
                "SELECT coalesce(rating, 'NULL'), count(*) FROM cdr WHERE acctid > :s GROUP BY 1"), {"s": seeded}).all())
        engine.dispose()
    print(f"PostgreSQL import of {n:,} rows into a store holding {seeded:,} (best of {runs}): attribution only "
          f"{n / results['off']:,.0f} rows/s; + rating, no deck named {n / results['none']:,.0f} rows/s "
          f"({results['none'] / results['off']:.3f}x); + rating with the demo decks {n / results['decks']:,.0f} rows/s "
          f"({results['decks'] / results['off']:.3f}x the time of attribution only); legs by rating: {counts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--legs", type=int, default=1_000_000, help="synthetic legs rated alone")
    parser.add_argument("--rows", type=int, default=100_000, help="generated rows imported")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measure (the best is kept)")
    parser.add_argument("--postgres", default=os.environ.get("CALLDATA_BENCH_POSTGRES_URL"),
                        help="the PostgreSQL server (a scratch database of its own is created and dropped)")
    parser.add_argument("--alone", action="store_true", help="measure rating alone, not importing")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {open('/proc/loadavg').read().split()[0]}, Python {sys.version.split()[0]}, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    legs = synthetic_legs(args.legs)
    floor_cpu = best_of(args.runs, lambda: floor(legs))
    for zone in ("UTC", "Europe/London"):
        rater = Rater(demo_decks(), plan(zone))
        rated = rate_all(rater, legs)
        cpu = best_of(args.runs, lambda: rate_all(rater, legs))
        print(f"rating alone, PBX zone {zone}: {len(legs) / cpu:,.0f} legs per CPU-second over {len(legs):,} legs "
              f"({rated:,} rated; floor, one pass over the fields: {len(legs) / floor_cpu:,.0f} per CPU-second, "
              f"{cpu / floor_cpu:.1f}x its time); load average now {open('/proc/loadavg').read().split()[0]}")
    if args.alone:
        return
    if not args.postgres:
        print("no --postgres (or CALLDATA_BENCH_POSTGRES_URL): import not measured")
        return
    with scratch_database(args.postgres, "calldata_bench") as url:
        bench_import(url, args.rows, args.runs)
    print(f"load average at the end {open('/proc/loadavg').read().split()[0]}; {date.today()}")


if __name__ == "__main__":
    main()
