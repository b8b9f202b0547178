"""Every company's report days of recent months tabulated and stored ahead of the first view
(`calldata reports refresh`, from cron; or a job in `calldata serve`), and the stored days no one
needs pruned (reports.stored).

The reports made are the ones the console's /reports page and an unfiltered /rest/call/incalls or
outcalls ask for: a company's month in its zone, every extension or device (no names). A day
stored and still true is read, not tabulated; what was built or found still true is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import NamedTuple

from sqlalchemy import Engine

from calldata.reports import stored
from calldata.reports.build import KINDS, plan, tabulate
from calldata.reports.kept import KeptDays
from calldata.reports.request import ReportRequest
from calldata.reports.roster import current_roster
from calldata.store.engine import snapshot

Progress = Callable[[int, int, str], None]  # (reports done, reports in all, the one just done)


class Refreshed(NamedTuple):
    """What a refresh did: reports made, their days tabulated, read still true, written; rows pruned."""

    reports: int
    built: int
    loaded: int
    written: int
    pruned: int

    def line(self) -> str:
        """What it did in one line (the CLI's, a log's)."""
        return (f"{self.reports} reports: {self.built} days tabulated, {self.loaded} stored days still true,"
                f" {self.written} written; {self.pruned} stored days pruned")


def months_back(today: date, months: int) -> list[tuple[int, int]]:
    """(year, month) of `today`'s month and the `months` - 1 before it, oldest first (pure)."""
    index = today.year * 12 + today.month - 1
    return [(k // 12, k % 12 + 1) for k in range(index - months + 1, index + 1)]


def refresh(engine: Engine, display_tz: str, months: int = 2, now: datetime | None = None,
            progress: Progress | None = None, stop: Callable[[], bool] | None = None) -> Refreshed:
    """Store the days of the last `months` months (this one included, in each company's zone) of
    both reports of every company of the current directory (`stop()` True: no more reports), then
    prune what reports.stored.prune drops."""
    at = now or datetime.now(UTC)
    kept = KeptDays(max_bytes=0, stored=True)  # nothing held: every day is read, or built, and written
    with engine.connect() as conn:
        roster = current_roster(conn)
    asked = [] if roster is None else [
        (company, kind, year, month) for company in sorted(roster.directory.companies) for kind in KINDS
        for year, month in months_back(at.astimezone(roster.zone(company, display_tz)).date(), months)]
    made = written = 0
    for company, kind, year, month in asked:
        if stop is not None and stop():
            break
        with snapshot(engine) as conn:
            tabulate(conn, plan(conn, kind, ReportRequest((company,), year, month), display_tz, at), kept)
        with engine.connect() as conn:
            written += kept.save(conn)
        made += 1
        if progress is not None:
            progress(made, len(asked), f"{company} {kind} {year}-{month:02d}")
    with engine.begin() as conn:
        pruned = stored.prune(conn, None if roster is None else roster.version[0], at.date())
    return Refreshed(made, kept.built, kept.loaded, written, pruned)
