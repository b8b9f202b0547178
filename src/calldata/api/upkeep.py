"""What `calldata serve` does by itself every CALLDATA_UPKEEP_SECONDS, so no visitor waits for it:
JOBS, run one after another in a worker thread, off the event loop, on an engine of the primary.

A job says in a few words what it did: one log line per job and period. A job that fails logs
one line and runs again the next period; the server goes on. With several servers on one
PostgreSQL a job runs on one of them at a time (a session advisory lock, pg_try_advisory_lock:
the others skip that period); its work is idempotent anyway. Stopping waits for the job under
way to reach its next step (a job asks `stop()` between steps: a dashboard day, say).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import Engine, text

from calldata.config import Settings
from calldata.coverage import report as coverage_report
from calldata.dashboards import refresh
from calldata.dashboards import stored
from calldata.reports import refresh as reports_refresh
from calldata.store.engine import sync_engine

log = logging.getLogger("calldata.upkeep")


class Job(NamedTuple):
    """A piece of upkeep: its name, its advisory lock's key, and the work (the primary's engine,
    the settings, `stop()`: True once the server is stopping) saying what it did."""

    name: str
    lock: int
    work: Callable[[Engine, Settings, Callable[[], bool]], str]


def dashboards(engine: Engine, settings: Settings, stop: Callable[[], bool]) -> str:
    """`calldata dashboards refresh`: the recent closed days of every kept scope, in the display zone."""
    zone = settings.zone
    built = refresh.bring_up(engine, zone, refresh.recent(zone, datetime.now(UTC), refresh.RECENT), stop)
    which = ", ".join(f"{stored.named(key)} {n}" for key, n in built.items() if n)
    return f"{sum(built.values())} days built for {len(built)} scopes" + (f" ({which})" if which else "")


def coverage(engine: Engine, settings: Settings, stop: Callable[[], bool]) -> str:
    """The attribution coverage report's closed UTC days, so /admin/attribution over all legs reads them stored."""
    with engine.begin() as conn:
        return f"{coverage_report.bring_up(conn)} days built"


def reports(engine: Engine, settings: Settings, stop: Callable[[], bool]) -> str:
    """`calldata reports refresh`: this month's and last month's report days of every company stored,
    so the first view by a server just started reads them, not tabulates them; unused ones pruned."""
    return reports_refresh.refresh(engine, settings.display_tz, stop=stop).line()


JOBS = [
    Job("dashboards", 0x75706B6464617973, dashboards),  # "upkddays"
    Job("reports", 0x75706B7265706F72, reports),  # "upkrepor"
    Job("coverage", 0x75706B636F766572, coverage),  # "upkcover"
]


class Upkeep:
    """JOBS every `settings.upkeep_seconds` (0: never), from `start` until `stop`."""

    def __init__(self, settings: Settings, jobs: list[Job] = JOBS) -> None:
        self.settings, self.jobs = settings, jobs
        self.stopping = threading.Event()  # read by the worker thread too
        self.wake = asyncio.Event()
        self.engine: Engine | None = None
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin (on the running event loop): the first run one period from now."""
        if self.settings.upkeep_seconds and self.jobs:
            self.engine = sync_engine(self.settings.database_url)
            self.task = asyncio.create_task(self._periods(self.engine), name="calldata upkeep")

    async def stop(self) -> None:
        """End, once the job under way has reached its next step."""
        self.stopping.set()
        self.wake.set()
        if self.task is not None:
            await self.task
        if self.engine is not None:
            self.engine.dispose()

    async def _periods(self, engine: Engine) -> None:
        while not await self._stopped_within(self.settings.upkeep_seconds):
            for job in self.jobs:
                await asyncio.to_thread(self._run, engine, job)
                if self.stopping.is_set():
                    return

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.wake.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def _run(self, engine: Engine, job: Job) -> None:
        """One job once, in a worker thread: logged, never raised."""
        began = time.monotonic()
        try:
            with _turn(engine, job.lock) as mine:
                said = job.work(engine, self.settings, self.stopping.is_set) if mine else None
        except Exception as exc:  # noqa: BLE001 - any failure is logged and tried again next period
            log.error("upkeep %s failed after %.1f s (%s: %s); again in %d s", job.name, time.monotonic() - began,
                      type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "", self.settings.upkeep_seconds)
            return
        if said is None:
            log.info("upkeep %s: skipped, another server is doing it", job.name)
        else:
            log.info("upkeep %s: %s in %.1f s", job.name, said, time.monotonic() - began)


@contextmanager
def _turn(engine: Engine, key: int) -> Iterator[bool]:
    """Whether this server has the job's turn: PostgreSQL's session advisory lock `key` if free
    (held until the job ends); SQLite (one server) always."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        mine = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one())
        try:
            yield mine
        finally:
            if mine:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
