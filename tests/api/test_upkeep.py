"""serve's upkeep (calldata.api.upkeep) as a real `calldata serve`: with a short period it stores
the recent closed days of the operator, every company and the sets already viewed without any
visit, logs one line a run, outlives a failing run, stops promptly; two servers on one
PostgreSQL store each day once; 0 turns it off; a bad period is one line."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, func, select, text

from calldata.attribution import versions
from calldata.dashboards import refresh
from calldata.dashboards.build import dashboard
from calldata.dashboards.period import Period
from calldata.dashboards.query import Scope
from calldata.dashboards.schema import dashboard_day
from calldata.demo.demo import EXAMPLE_DIRECTORY, load_decks
from calldata.demo.generator import generate
from calldata.ingest.sink import store_batch
from servers import said, serving_process

ZONE = "Asia/Kolkata"
BOTH = Scope(frozenset({"acme", "globex"}))
KEYS = ("*", "acme", "default", "globex")  # the operator and the demo directory's companies
RUN = re.compile(r"calldata\.upkeep: upkeep dashboards: (\d+) days built for (\d+) scopes")


def recent_legs(engine: Engine) -> datetime:
    """Generated legs over the two days from four days ago (closed, and within the upkeep's days)."""
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=4)
    load_decks(engine)
    with engine.begin() as conn:
        versions.save(conn, EXAMPLE_DIRECTORY.read_text(), str(EXAMPLE_DIRECTORY))
        directory = versions.directory_of(conn)
        legs = list(generate(directory, rows=300, seed=3, start=start, days=2))  # type: ignore[arg-type]
    with engine.begin() as conn:
        store_batch(conn, legs)
    return start


def stored(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(dashboard_day.c.scope, func.count()).where(dashboard_day.c.zone == ZONE)
                                 .group_by(dashboard_day.c.scope)).all())


def wait_for(done: Callable[[], bool], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.2)


def test_the_upkeep_stores_the_recent_closed_days_without_a_visit(engine: Engine, store_url: str) -> None:
    start = recent_legs(engine)
    day = Period.day(start.astimezone(ZoneInfo(ZONE)).date() + timedelta(days=1))
    with engine.connect() as conn:  # a user of acme and globex viewed one day: the set is kept up too
        dashboard(conn, BOTH, day, ZoneInfo(ZONE))
    assert stored(engine) == {"acme+globex": 1}
    wanted = len(refresh.recent(ZoneInfo(ZONE), datetime.now(UTC), refresh.RECENT))
    env = {"CALLDATA_UPKEEP_SECONDS": "1", "CALLDATA_DISPLAY_TZ": ZONE}
    with serving_process(store_url, env) as (base, proc):
        wait_for(lambda: len(RUN.findall(said(proc))) >= 2)
        first, again = RUN.findall(said(proc))[:2]
        assert first == (str(5 * wanted - 1), "5") and again == ("0", "5")
        assert stored(engine) == dict.fromkeys((*KEYS, "acme+globex"), wanted)
        for scope in (Scope(), BOTH):  # the days stored by the upkeep are the live figures
            with engine.connect() as conn:
                kept = dashboard(conn, scope, day, ZoneInfo(ZONE))
            with engine.connect() as conn:
                assert kept == dashboard(conn, scope, day, ZoneInfo(ZONE), live=True)
            assert kept.totals.calls > 0

        with engine.begin() as conn:  # the next runs fail: the server goes on, and so do they once mended
            conn.execute(text("ALTER TABLE dashboard_mark RENAME TO dashboard_mark_away"))
        wait_for(lambda: "upkeep dashboards failed" in said(proc))
        assert httpx.get(f"{base}/health", timeout=5).status_code == 200
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE dashboard_mark_away RENAME TO dashboard_mark"))
        runs = len(RUN.findall(said(proc)))
        wait_for(lambda: len(RUN.findall(said(proc))) > runs)

        proc.terminate()
        stopping = time.monotonic()
        proc.wait(timeout=15)
        assert time.monotonic() - stopping < 5
        log = said(proc)
    assert "Traceback" not in log
    failed = [line for line in log.splitlines() if "upkeep dashboards failed" in line]
    assert all(re.search(r"failed after [\d.]+ s \(\w+: .*\); again in 1 s$", line) for line in failed), failed


def test_the_upkeep_stores_the_coverage_days(engine: Engine, store_url: str) -> None:
    """The attribution coverage report's closed UTC days are built by the upkeep: the report over
    all legs then reads them stored, and says what the live report says."""
    from calldata.attribution.report import coverage as live
    from calldata.coverage.report import coverage as kept
    from calldata.coverage.schema import coverage_day

    start = recent_legs(engine)
    built = re.compile(r"calldata\.upkeep: upkeep coverage: (\d+) days built")
    with serving_process(store_url, {"CALLDATA_UPKEEP_SECONDS": "1", "CALLDATA_DISPLAY_TZ": ZONE}) as (_, proc):
        wait_for(lambda: len(built.findall(said(proc))) >= 2)
        assert built.findall(said(proc))[:2] == ["2", "0"]  # the legs' two closed days, then nothing new
    with engine.connect() as conn:
        days = set(conn.execute(select(coverage_day.c.day)).scalars())
    assert days == {start.date(), start.date() + timedelta(days=1)}
    with engine.begin() as conn:
        assert kept(conn) == live(conn)


def test_the_upkeep_stores_the_report_days(engine: Engine, store_url: str) -> None:
    """Both reports' days of this month and the last, of every company, are stored by the upkeep
    (a server just started reads them), then found still true: nothing tabulated again."""
    from calldata.reports.schema import report_day

    recent_legs(engine)
    line = re.compile(r"calldata\.upkeep: upkeep reports: (\d+) reports: (\d+) days tabulated, (\d+) stored days still true")
    with serving_process(store_url, {"CALLDATA_UPKEEP_SECONDS": "1", "CALLDATA_DISPLAY_TZ": ZONE}) as (_, proc):
        wait_for(lambda: len(line.findall(said(proc))) >= 2)
        (reports, built, _), (again, rebuilt, still) = line.findall(said(proc))[:2]
    assert reports == again == str(3 * 2 * 2)  # the demo directory's 3 companies, 2 kinds, 2 months
    assert int(built) > 0 and rebuilt == "0" and still == built
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(report_day)).scalar_one() == int(built)


def test_two_servers_on_one_store_build_each_day_once(engine: Engine, store_url: str) -> None:
    if not store_url.startswith("postgresql"):
        pytest.skip("several servers share a PostgreSQL store")
    recent_legs(engine)
    wanted = len(refresh.recent(ZoneInfo(ZONE), datetime.now(UTC), refresh.RECENT))
    env = {"CALLDATA_UPKEEP_SECONDS": "1", "CALLDATA_DISPLAY_TZ": ZONE}
    with serving_process(store_url, env) as (_, one), serving_process(store_url, env) as (_, two):
        wait_for(lambda: all(len(re.findall("upkeep dashboards: ", said(p))) >= 3 for p in (one, two)))
        logs = said(one) + said(two)
    assert "failed" not in logs and "Traceback" not in logs
    assert sum(int(n) for n, _ in RUN.findall(logs)) == 4 * wanted  # each day built by one of them
    assert stored(engine) == dict.fromkeys(KEYS, wanted)


def test_zero_turns_the_upkeep_off(engine: Engine, store_url: str) -> None:
    recent_legs(engine)
    with serving_process(store_url, {"CALLDATA_UPKEEP_SECONDS": "0", "CALLDATA_DISPLAY_TZ": ZONE}) as (_, proc):
        time.sleep(3)
        assert "upkeep" not in said(proc)
    assert stored(engine) == {}


@pytest.mark.parametrize(("value", "problem"), [
    ("5m", "not a whole number: '5m'"), ("-1", "must be at least 0, not -1"),
    ("90000", "must be at most 86400, not 90000")])
def test_a_bad_period_is_one_line(value: str, problem: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLDATA_")} | {"CALLDATA_UPKEEP_SECONDS": value}
    done = subprocess.run([sys.executable, "-m", "calldata", "serve", "--port", "1"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"calldata: CALLDATA_UPKEEP_SECONDS: {problem}"]


@pytest.mark.anyio
async def test_stopping_waits_only_for_the_step_under_way(tmp_path: object) -> None:
    """A long job asked to stop ends at its next step; the next job in the list is not started."""
    from calldata.api.upkeep import Job, Upkeep
    from calldata.config import Settings

    steps: list[int] = []
    later: list[str] = []

    def slow(_engine: Engine, _settings: Settings, stop: Callable[[], bool]) -> str:
        for step in range(100):
            if stop():
                break
            steps.append(step)
            time.sleep(0.1)
        return f"{len(steps)} steps"

    def never(*_: object) -> str:
        later.append("ran")
        return "ran"

    upkeep = Upkeep(Settings(database_url=f"sqlite:///{tmp_path}/u.db", upkeep_seconds=1),
                    [Job("slow", 1, slow), Job("later", 2, never)])
    upkeep.start()
    await asyncio.sleep(1.6)  # the slow job is some steps in
    began = time.monotonic()
    await upkeep.stop()
    assert time.monotonic() - began < 0.5
    assert 2 <= len(steps) < 20 and later == []
