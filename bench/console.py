"""Benchmark: the web console's pages (GET /calls with filters, deep pages, a call view) on a large PostgreSQL store.

Usage: .venv/bin/python bench/console.py [--rows 1000000] [--block 100000] [--samples 60] [--rounds 10]

Builds the store as bench/reports.py does (`--block` generated rows through the sink, attributed and
priced, then copied inside PostgreSQL as other tenants up to `--rows`, their queue calls' queue_log
events stored and copied likewise), starts `calldata serve`, logs
in through the console's own form (CSRF token and all) as a System-Admin and as a billing user of
`bigco` only, and times each page's GET (keep-alive, one client): p50/p95 over `--samples`, the
calls it listed. The floor is the page's own statement (calldata.calls.browse.statement) in
PostgreSQL, EXPLAIN ANALYZE's execution time (median of 5); the ratio is the page's p50 over it.
Then every other page (first GET, p50/p95), the reports' first GET after each of `--rounds`
batches stored as a live PBX stores them (in another month, then in the report's month), and the
reports' first GET by a server process just started on the same store (`--restarts` times each):
with the day tables the servers before stored, with none stored (report_day emptied: every day
tabulated), and with those `calldata reports refresh` stored.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
from read_api import machine, served
from reports import COMPANY, START, big_directory, copy_block, report_month, store_block
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql

from calldata.attribution import versions
from calldata.auth import users
from calldata.auth.permissions import BILLING_CALL_SUMMARY, SYSTEM_ADMIN
from calldata.calls.browse import statement
from calldata.console.filters import parse
from calldata.demo.generator import generate
from calldata.demo.demo import store_queue_log
from calldata.ingest.sink import store_batch
from calldata.queues.event import QueueEvent
from calldata.queues.kept import rebuild
from calldata.store.engine import sync_engine, upgrade
from calldata.store.scratch import scratch_database

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-password-1"
PAGE = 50
BATCH_LEGS = 100  # a live source's batch


def log_in(base: str, login: str) -> httpx.Client:
    """A client holding a console session, got through the login form."""
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', form)
    assert token, form[:500]
    answer = client.post("/login", data={"csrf": token[1], "username": login, "password": PASSWORD, "next": "/calls"})
    assert answer.status_code == 303 and answer.headers["location"] == "/calls", answer.text[:500]
    return client


def timed(client: httpx.Client, path: str, samples: int) -> tuple[list[float], str]:
    """Seconds per GET of `path` (after one warm-up), and the last page's HTML."""
    text = client.get(path).text
    seconds = []
    for _ in range(samples):
        began = time.perf_counter()
        answer = client.get(path)
        seconds.append(time.perf_counter() - began)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
        text = answer.text
    return seconds, text


def sql_floor(plain: str, query: str, companies: Any) -> float:
    """EXPLAIN ANALYZE execution ms of the page's statement for this query string (median of 5)."""
    params = dict(re.findall(r"([a-z]+)=([^&]*)", query))
    browse = parse(params, ZoneInfo("UTC"), companies)
    stmt = statement(browse.filter, companies, None, browse.filter.newest_first, PAGE + 1)
    compiled = stmt.compile(dialect=postgresql.psycopg.dialect(),  # type: ignore[attr-defined]
                            compile_kwargs={"render_postcompile": True})
    sql = str(compiled)  # psycopg's %(name)s placeholders, with compiled.params
    runs = []
    with psycopg.connect(plain) as conn:
        for _ in range(5):
            plan = conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", compiled.params).fetchone()[0]  # type: ignore[index]
            runs.append(plan[0]["Execution Time"])
    return statistics.median(runs)


def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--block", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=10, help="batches stored, each followed by the reports' first GET")
    parser.add_argument("--restarts", type=int, default=3, help="server starts timed for each way of the first GET")
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--prefix", default="calldata_bench", help="the scratch database's name begins so")
    args = parser.parse_args()
    with scratch_database(args.admin_url, args.prefix) as url:
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}; load average {os.getloadavg()[0]:.1f}", flush=True)
        engine = sync_engine(url)
        upgrade(engine)
        events: list[QueueEvent] = []
        seconds = store_block(engine, big_directory(), min(args.block, args.rows), args.days, events)
        print(f"stored {args.block:,} generated rows through the sink (attributed) in {seconds:.1f} s", flush=True)
        seconds = copy_block(plain, args.block, args.rows)
        print(f"copied to {args.rows:,} rows (indexes rebuilt, VACUUM ANALYZE) in {seconds:.1f} s", flush=True)
        seconds, callers = queue_calls(engine, plain, events, -(-args.rows // args.block))
        print(f"their queue calls' {len(events):,} queue_log events stored and copied likewise, the stays of "
              f"{callers:,} callers kept, in {seconds:.1f} s", flush=True)
        with engine.begin() as conn:
            users.add_user(conn, "admin", PASSWORD, profile="CHEAPEST", actor="bench")
            users.grant(conn, "admin", SYSTEM_ADMIN, actor="bench")
            users.add_user(conn, "billing", PASSWORD, profile="CHEAPEST", actor="bench")
            users.grant(conn, "billing", BILLING_CALL_SUMMARY, [COMPANY], actor="bench")
        engine.dispose()
        week = (START + timedelta(days=args.days // 2)).date()
        pages = {
            "all calls, newest first": ("admin", ""),
            f"company {COMPANY}": ("admin", f"company={COMPANY}"),
            "inbound, missed": ("admin", "direction=inbound&outcome=missed"),
            f"a week ({week} + 6 days)": ("admin", f"from={week}&to={week + timedelta(days=6)}"),
            f"extension 2001 of {COMPANY}": ("admin", f"company={COMPANY}&extension=2001"),
            "number contains 1632960": ("admin", "number=1632960"),
            "recorded (none: the scan bound)": ("admin", "recorded=1"),
            f"scoped user ({COMPANY} only)": ("billing", ""),
        }
        with served(plain, env={"CALLDATA_PASSWORD_HASH_PROFILE": "CHEAPEST"}) as base:
            clients = {login: log_in(base, login) for login in ("admin", "billing")}
            print(f"\n{args.rows:,} rows; {args.samples} GETs per page after a warm-up; page size {PAGE}")
            print(f"{'page':<36} {'calls':>5} {'p50 ms':>8} {'p95 ms':>8} {'SQL ms':>8} {'ratio':>6}  load")
            last = ""
            for title, (login, query) in pages.items():
                seconds, last = timed(clients[login], f"/calls?size={PAGE}&{query}", args.samples)
                floor = sql_floor(plain, query, None if login == "admin" else frozenset({COMPANY}))
                listed = last.count('<td><a href="/calls/')
                print(f"{title:<36} {listed:>5} {ms(seconds, 0.5):>8.1f} {ms(seconds, 0.95):>8.1f} {floor:>8.2f}"
                      f" {ms(seconds, 0.5) / max(floor, 1e-3):>6.1f}  {os.getloadavg()[0]:.1f}", flush=True)
            first = clients["admin"].get(f"/calls?size={PAGE}").text
            cursor = first
            for _ in range(20):  # 20 pages deep through the cursors
                after = re.search(r'href="/calls(\?[^"]*after=[^"]*)"', cursor)
                assert after
                cursor = clients["admin"].get("/calls" + after[1].replace("&amp;", "&")).text
            deep = re.search(r'href="/calls(\?[^"]*after=[^"]*)"', cursor)
            assert deep
            seconds, _ = timed(clients["admin"], "/calls" + deep[1].replace("&amp;", "&"), args.samples)
            print(f"{'page 21 (through the after= cursor)':<36} {PAGE:>5} {ms(seconds, 0.5):>8.1f} {ms(seconds, 0.95):>8.1f}")
            calls = re.findall(r'<td><a href="(/calls/[^"]+)"', first)
            views = []
            for path in calls * (args.samples // len(calls) + 1):
                began = time.perf_counter()
                answer = clients["admin"].get(path)
                views.append(time.perf_counter() - began)
                assert answer.status_code == 200
            print(f"{'call view (page 1 calls in turn)':<36} {1:>5} {ms(views, 0.5):>8.1f} {ms(views, 0.95):>8.1f}")
            year, number = report_month(args.days)
            month = f"{year}-{number:02d}"
            print(f"\nthe other pages ({COMPANY}'s {month} where a page shows a month)")
            print(f"{'page':<36} {'KB':>5} {'first ms':>8} {'p50 ms':>8} {'p95 ms':>8}  load")
            for title, (login, path) in other_pages(month).items():
                began = time.perf_counter()
                clients[login].get(path)
                first = time.perf_counter() - began
                seconds, last = timed(clients[login], path, args.samples)
                print(f"{title:<36} {len(last.encode()) // 1024:>5} {1000 * first:>8.1f} {ms(seconds, 0.5):>8.1f}"
                      f" {ms(seconds, 0.95):>8.1f}"
                      f"  {os.getloadavg()[0]:.1f}", flush=True)
            after_batches(url, clients["billing"], year, number, args.rounds)
        if args.restarts:
            after_restarts(plain, month, args.restarts)


def after_batches(url: str, client: httpx.Client, year: int, number: int, rounds: int) -> None:
    """A live PBX: each round stores a batch of legs (through the sink, attributed and priced), then
    GETs the month's two report summaries once each, the first GET since the batch; the batches
    fall in another month, then on the month's days in turn."""
    month = f"{year}-{number:02d}"
    engine = sync_engine(url)
    with engine.connect() as conn:
        directory = versions.directory_of(conn)
    print(f"\nthe first GET of each report of {month} after a batch of {BATCH_LEGS} legs, {rounds} rounds")
    print(f"{'batches stored':<36} {'report':>8} {'p50 ms':>8} {'max ms':>8}  load")
    elsewhere = date(year + number // 12, number % 12 + 1, 10)
    for title, day_of in (("in the next month", lambda _: elsewhere),
                          ("in the month, a day each round", lambda k: date(year, number, 1 + k % 28))):
        firsts: dict[str, list[float]] = {"incalls": [], "outcalls": []}
        for k in range(rounds):
            start = datetime.combine(day_of(k), datetime.min.time(), UTC) + timedelta(hours=9)
            made = list(generate(directory, rows=BATCH_LEGS, seed=1000 + k + (100 if "next" in title else 0),
                                 start=start, days=1))  # type: ignore[arg-type]
            with engine.begin() as conn:
                store_batch(conn, made)
            for kind in firsts:
                began = time.perf_counter()
                answer = client.get(f"/reports?kind={kind}&company={COMPANY}&month={month}")
                firsts[kind].append(time.perf_counter() - began)
                assert answer.status_code == 200
        for kind, seconds in firsts.items():
            print(f"{title:<36} {kind:>8} {ms(seconds, 0.5):>8.1f} {1000 * max(seconds):>8.1f}"
                  f"  {os.getloadavg()[0]:.1f}", flush=True)
    engine.dispose()


def after_restarts(plain: str, month: str, restarts: int) -> None:
    """The first GET of each report summary of `month` by a `calldata serve` just started (logged
    in first, not timed), `restarts` times: the days stored by the servers before it, none stored
    (report_day emptied before each start), stored by `calldata reports refresh` (timed) alone."""
    env = {"CALLDATA_PASSWORD_HASH_PROFILE": "CHEAPEST"}
    now = datetime.now(UTC)
    year, number = (int(part) for part in month.split("-"))
    months = now.year * 12 + now.month - (year * 12 + number) + 1  # refresh back to the report's month

    def emptied() -> None:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute("DELETE FROM report_day")

    def refreshed() -> None:
        emptied()
        for _ in ("none stored", "every day stored"):
            began = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "calldata", "--database-url", plain, "reports", "refresh",
                                   "--months", str(months)], capture_output=True, text=True, check=True)
            print(f"  calldata reports refresh --months {months}: {time.perf_counter() - began:.1f} s;"
                  f" {done.stdout.strip()}", flush=True)

    print(f"\nthe first GET of each report of {month} by a server just started, {restarts} starts each")
    print(f"{'day tables':<36} {'report':>8} {'p50 ms':>8} {'max ms':>8}  load")
    for title, before, each in (("stored by the servers before", None, None),
                                ("none stored (every day tabulated)", None, emptied),
                                ("stored by calldata reports refresh", refreshed, None)):
        if before is not None:
            before()
        firsts: dict[str, list[float]] = {"incalls": [], "outcalls": []}
        for _ in range(restarts):
            if each is not None:
                each()
            with served(plain, env=env) as base:
                client = log_in(base, "billing")
                for kind in firsts:
                    began = time.perf_counter()
                    answer = client.get(f"/reports?kind={kind}&company={COMPANY}&month={month}")
                    firsts[kind].append(time.perf_counter() - began)
                    assert answer.status_code == 200
                client.close()
        for kind, seconds in firsts.items():
            print(f"{title:<36} {kind:>8} {ms(seconds, 0.5):>8.1f} {1000 * max(seconds):>8.1f}"
                  f"  {os.getloadavg()[0]:.1f}", flush=True)


def queue_calls(engine: Engine, url: str, events: list[QueueEvent], copies: int) -> tuple[float, int]:
    """The block's queue_log events stored, then copied as the block's legs were (bench/reports.py's
    copy_block: callers suffixed `~k`, times shifted k * 97 s, queue names of the tenant), and every
    caller's stays kept (`calldata queues rebuild`); seconds taken, callers."""
    began = time.perf_counter()
    store_queue_log(engine, events)
    data = ", ".join(f"data{n}" for n in range(1, 6))
    with psycopg.connect(url) as conn:
        block = conn.execute("SELECT max(id) FROM queue_event").fetchone()[0]  # type: ignore[index]
        for k in range(1, copies):
            conn.execute(
                f"INSERT INTO queue_event (time, callid, queue, agent, event, {data}, natkey) "
                f"SELECT time + interval '{k * 97} seconds', callid || '~{k}', queue || '_{k}', agent, event, {data}, "
                f"natkey || '~{k}' FROM queue_event WHERE id <= %s ORDER BY id", (block,))
    callers, _ = rebuild(engine)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE queue_event, queue_stay, queue_stay_ring")
    return time.perf_counter() - began, callers


def other_pages(month: str) -> dict[str, tuple[str, str]]:
    """Every page besides the call list and call view (dashboards: bench/dashboards.py): who asks, the path."""
    company = f"company={COMPANY}&month={month}"
    year, number = map(int, month.split("-"))
    first = date(year, number, 1)
    last = date(year + number // 12, number % 12 + 1, 1) - timedelta(days=1)
    return {
        "incalls report": ("billing", f"/reports?kind=incalls&{company}"),
        "outcalls report": ("billing", f"/reports?kind=outcalls&{company}"),
        "incalls, extension 2001's calls": ("billing", f"/reports?kind=incalls&{company}&key=2001"),
        "outcalls, device PJSIP/bigco-2001's": ("billing", f"/reports?kind=outcalls&{company}&key=PJSIP/bigco-2001"),
        "incalls report CSV (every call)": ("billing", f"/reports.csv?kind=incalls&{company}"),
        "call list CSV, the month's calls": ("billing", f"/calls.csv?from={first}&to={last}"),
        "monthly statement": ("billing", f"/statements?{company}"),
        "monthly statement CSV": ("billing", f"/statements.csv?{company}"),
        "queues (the company's callers)": ("billing", f"/queues?from={first}&to={last}"),
        "queues, admin (every caller)": ("admin", f"/queues?from={first}&to={last}"),
        "queues, admin, company's callers": ("admin", f"/queues?company={COMPANY}&from={first}&to={last}"),
        "admin: users": ("admin", "/admin/users"),
        "admin: API keys": ("admin", "/admin/keys"),
        "admin: audit log": ("admin", "/admin/audit"),
        "admin: attribution (last 30 days)": ("admin", "/admin/attribution"),
        "admin: attribution (all legs)": ("admin", "/admin/attribution?all=1"),
    }


if __name__ == "__main__":
    main()
