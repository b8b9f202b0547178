"""Benchmark: a month's dashboard (calldata.dashboards) of a 100-extension company and of the operator.

Usage: .venv/bin/python bench/dashboards.py [--rows 1000000] [--block 300000] [--days 365] [--asks 40]
                                           [--admin-url URL] [--url URL] [--keep] [--upkeep]

Builds the store of bench/reports.py (its helpers: `bigco`'s directory, `--block` generated rows
stored through the sink, attributed and priced, then copied inside PostgreSQL as other tenants up
to `--rows`, indexes rebuilt, VACUUM ANALYZE), or reuses the store at `--url`. Then, in this process
on one psycopg connection, times `dashboard()` for the month in the middle of the generated year
(Europe/London) `--asks` times for company bigco, for a user granted bigco and acme (a set of two
companies) and for the operator (every company): read wholly live (each of its four statements
alone too, and the whole with its reads at once on five connections, as the console read a
several-company scope before sets were stored), then from stored days: cold (no day stored: the
first request builds the month's days; `--colds` times, the stored days dropped before each) and
warm (the days stored: what the console's /dashboard does); p50/p95 in ms. With `--upkeep`, last
month's first request (its days within the upkeep's): with no day stored, and after `calldata
serve`'s upkeep job ran once (the set: one earlier day of it viewed, as its user would have),
`--colds` times. The floor is each statement's own time in PostgreSQL (EXPLAIN ANALYZE's
execution time, same parameters); the plans are printed at the end.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from queue_stats import ms
from reports import ADMIN_URL, COMPANY, ZONE, big_directory, copy_block, report_month, store_block
from read_api import machine
from sqlalchemy import Connection, Engine

from calldata.api import upkeep
from calldata.config import Settings
from calldata.dashboards import query, stored
from calldata.dashboards.build import TOP, Asked, dashboard, reads, shaped
from calldata.dashboards.period import Period
from calldata.dashboards.query import Scope
from calldata.store.engine import sync_engine, upgrade
from calldata.store.scratch import scratch_database

SCOPES = {f"company {COMPANY}": Scope(frozenset({COMPANY})),
          f"companies {COMPANY}+acme": Scope(frozenset({COMPANY, "acme"})),  # a user granted two
          "operator (every company)": Scope()}


def build(url: str, rows: int, block: int, days: int) -> None:
    """bench/reports.py's store at `url`."""
    engine = sync_engine(url)
    upgrade(engine)
    seconds = store_block(engine, big_directory(), block, days)
    engine.dispose()
    print(f"stored {block:,} generated rows through the sink (attributed, priced) in {seconds:.1f} s", flush=True)
    seconds = copy_block(url.replace("postgresql+psycopg://", "postgresql://"), block, rows)
    print(f"copied to {rows:,} rows (indexes rebuilt, VACUUM ANALYZE) in {seconds:.1f} s", flush=True)


def statements(scope: Scope, start: datetime, end: datetime) -> dict[str, tuple[Any, dict[str, Any], Callable[[Connection], Any]]]:
    """Each statement of a dashboard: (the statement, its parameters, the function that runs it)."""
    plain = {"start": start, "end": end}
    return {
        "calls": (query.calls_statement("postgresql", scope), query.calls_params(start, end),
                  lambda conn: query.call_groups(conn, scope, start, end)),
        "billed": (query.billed_statement("postgresql", scope), plain,
                   lambda conn: query.billed_groups(conn, scope, start, end)),
        "destinations": (query.destinations_statement(scope), plain | {"top": TOP},
                         lambda conn: query.destinations(conn, scope, start, end, TOP)),
        "extensions": (query.parties_statement(scope), plain, lambda conn: query.parties(conn, scope, start, end)),
    }


def timed(conn: Connection, run: Callable[[Connection], Any], asks: int) -> list[float]:
    """Seconds of each of `asks` runs (after one not counted, which warms the caches)."""
    run(conn)
    samples = []
    for _ in range(asks):
        began = time.perf_counter()
        run(conn)
        samples.append(time.perf_counter() - began)
    return samples


def at_once(engine: Engine, pool: ThreadPoolExecutor, asked: Asked) -> Callable[[Connection], Any]:
    """The dashboard as the console builds it: its reads at once, each on a connection of its own."""

    def read(work: Callable[[Connection], Any]) -> Any:
        with engine.connect() as conn:
            return work(conn)

    return lambda _conn: shaped(asked, list(pool.map(read, reads(asked))))


def explain(conn: Connection, statement: Any, params: dict[str, Any]) -> tuple[float, list[str]]:
    """PostgreSQL's execution time of `statement` (ms) and its plan."""
    compiled = statement.compile(dialect=conn.dialect)
    expanded = compiled.construct_expanded_state(params)  # IN lists' members as parameters of their own
    plan = [row[0] for row in conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {expanded.statement}",
                                                   expanded.parameters)]
    return float(plan[-1].split(":")[1].split()[0]), plan


def forget_all(conn: Connection) -> None:
    """Every stored day dropped: the next dashboard builds its days (a cold start)."""
    if conn.in_transaction():
        conn.commit()
    with conn.begin():
        stored.forget(conn, lambda table: table.c.day.is_not(None))


def cold(conn: Connection, scope: Scope, period: Period, zone: ZoneInfo, colds: int) -> list[float]:
    """Seconds of the first request after every stored day was dropped, `colds` times."""
    samples = []
    for _ in range(colds):
        forget_all(conn)
        began = time.perf_counter()
        dashboard(conn, scope, period, zone, show_cost=True)
        samples.append(time.perf_counter() - began)
    return samples


def measure(url: str, days: int, asks: int, colds: int) -> None:
    """Time every dashboard and statement of the month, print the figures and the plans."""
    year, month = report_month(days)
    period, zone = Period.month(year, month), ZoneInfo(ZONE)
    start, end = period.bounds(zone)
    engine = sync_engine(url)
    upgrade(engine)  # a store kept by an earlier run gets this version's indexes
    plans: list[str] = []
    print(f"\nthe month {period.name} ({ZONE}), {asks} asks each; ms")
    print(f"{'scope':<26} {'part':<13} {'p50':>7} {'p95':>7} {'floor':>7}  figures")
    try:
        with engine.connect() as conn, ThreadPoolExecutor(5) as pool:
            for label, scope in SCOPES.items():
                shown = dashboard(conn, scope, period, zone, show_cost=True, live=True)
                t = shown.totals
                whole = timed(conn, lambda c: dashboard(c, scope, period, zone, show_cost=True, live=True), asks)
                parallel = timed(conn, at_once(engine, pool, Asked(scope, period, zone, True)), asks)
                floors = 0.0
                for part, (statement, params, run) in statements(scope, start, end).items():
                    floor, plan = explain(conn, statement, params)
                    floors += floor
                    plans += [f"-- {label}: {part}", *plan]
                    samples = timed(conn, run, asks)
                    print(f"{label:<26} {part:<13} {ms(samples, 0.5):>7.1f} {ms(samples, 0.95):>7.1f} {floor:>7.1f}")
                print(f"{label:<26} {'dashboard':<13} {ms(whole, 0.5):>7.1f} {ms(whole, 0.95):>7.1f} {floors:>7.1f}  "
                      f"{t.calls:,} calls ({t.answered:,} answered, {t.inbound:,} in, {t.outbound:,} out), "
                      f"{t.billable // 60:,} billable minutes, {shown.money.priced:,} legs priced", flush=True)
                print(f"{label:<26} {'reads at once':<13} {ms(parallel, 0.5):>7.1f} {ms(parallel, 0.95):>7.1f} "
                      f"{'':>7}  live, on 5 connections (the console's live path)", flush=True)
                first = cold(conn, scope, period, zone, colds)
                print(f"{label:<26} {'stored, cold':<13} {ms(first, 0.5):>7.1f} {ms(first, 0.95):>7.1f} "
                      f"{'':>7}  no day stored: {period.days} days built, then read", flush=True)
                kept = dashboard(conn, scope, period, zone, show_cost=True)
                assert kept == shown, "the dashboard from stored days is not the live one"
                warm = timed(conn, lambda c: dashboard(c, scope, period, zone, show_cost=True), asks)
                print(f"{label:<26} {'stored, warm':<13} {ms(warm, 0.5):>7.1f} {ms(warm, 0.95):>7.1f} "
                      f"{'':>7}  the days stored (equal to the live one)", flush=True)
    finally:
        engine.dispose()
    print("\n" + "\n".join(plans))


def first_request(conn: Connection, scope: Scope, period: Period, zone: ZoneInfo) -> float:
    began = time.perf_counter()
    dashboard(conn, scope, period, zone, show_cost=True)
    return time.perf_counter() - began


def upkept(url: str, colds: int) -> None:
    """Last month's first request with no day stored, and after serve's upkeep job ran once."""
    zone = ZoneInfo(ZONE)
    last = datetime.now(UTC).astimezone(zone).date().replace(day=1) - timedelta(days=1)
    period = Period.month(last.year, last.month)
    engine = sync_engine(url)
    settings = Settings(database_url=url, display_tz=ZONE)
    without: dict[str, list[float]] = {label: [] for label in SCOPES}
    after: dict[str, list[float]] = {label: [] for label in SCOPES}
    try:
        with engine.connect() as conn:
            for _ in range(colds):
                forget_all(conn)
                for label, scope in SCOPES.items():
                    without[label].append(first_request(conn, scope, period, zone))
                forget_all(conn)
                for scope in SCOPES.values():  # a set is kept up once viewed: one earlier day of it
                    if scope.companies is not None and len(scope.companies) > 1:
                        dashboard(conn, scope, Period.day(period.first - timedelta(days=1)), zone)
                conn.commit()
                began = time.perf_counter()
                said = upkeep.dashboards(engine, settings, lambda: False)
                print(f"upkeep dashboards: {said} in {time.perf_counter() - began:.1f} s", flush=True)
                for label, scope in SCOPES.items():
                    after[label].append(first_request(conn, scope, period, zone))
    finally:
        engine.dispose()
    print(f"\nthe month {period.name} ({ZONE}), its first request, {colds} times each; ms")
    print(f"{'scope':<26} {'part':<22} {'p50':>7} {'p95':>7}")
    for label in SCOPES:
        for part, samples in (("no day stored", without[label]), ("after serve's upkeep", after[label])):
            print(f"{label:<26} {part:<22} {ms(samples, 0.5):>7.1f} {ms(samples, 0.95):>7.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the store")
    parser.add_argument("--block", type=int, default=300_000, help="generated rows stored through the sink, then copied")
    parser.add_argument("--days", type=int, default=365, help="days the block's calls are spread over")
    parser.add_argument("--asks", type=int, default=40, help="timed runs of each dashboard and statement")
    parser.add_argument("--colds", type=int, default=5, help="cold requests (every stored day dropped before each)")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL server to create the database on")
    parser.add_argument("--url", help="measure this store (built by an earlier --keep run) instead of building one")
    parser.add_argument("--keep", action="store_true", help="keep the database (print its URL)")
    parser.add_argument("--upkeep", action="store_true", help="then last month's first request, with and without "
                                                              "serve's upkeep (the store's legs must reach it)")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}; load average {os.getloadavg()[0]:.1f}", flush=True)
    if args.url:
        measure(args.url, args.days, args.asks, args.colds)
        if args.upkeep:
            upkept(args.url, args.colds)
        return
    with scratch_database(args.admin_url, "calldata_bench", keep=args.keep) as url:
        build(url, args.rows, min(args.block, args.rows), args.days)
        measure(url, args.days, args.asks, args.colds)
        if args.upkeep:
            upkept(url, args.colds)
        if args.keep:
            print(f"kept database: {url}")


if __name__ == "__main__":
    main()
