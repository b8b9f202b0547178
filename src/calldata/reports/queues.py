"""Queue statistics for a period (docs/queues.md): the scope checked against the directory, the
period in the company's zone, then the stays entered in it counted from the kept stays
(calldata.queues.figures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from calldata.queues.figures import period_figures
from calldata.queues.stats import DEFAULT_SERVICE_LEVEL
from calldata.reports.period import period
from calldata.reports.request import ReportError, ReportRequest
from calldata.reports.roster import current_roster


# What each figure of a queue is called where people read them (the CLI's tables, the console's page).
COUNTS = (("offered", "offered"), ("answered", "answered"), ("abandoned", "abandoned"), ("timed out", "timeout"),
          ("left: empty", "exitempty"), ("left: key", "exitkey"), ("still waiting", "waiting"),
          ("transferred out", "transferred"))
WAITS = (("answered", "answered"), ("abandoned", "abandoned"), ("all", "all"))


@dataclass(frozen=True, slots=True)
class QueueStatsRequest:
    """What the figures are of: companies (None: every caller), a report period, queues, and the
    seconds within which an answer counts towards the service level."""

    companies: tuple[str, ...] | None
    year: int | None = None
    month: int | None = None
    day: int | None = None
    days: int = 1
    queues: tuple[str, ...] = ()
    service_level: int = DEFAULT_SERVICE_LEVEL


def zone_of(conn: Connection, companies: tuple[str, ...] | None, display_tz: str) -> ZoneInfo:
    """The zone a period is counted in: the company's when one is asked, else the display zone;
    ReportError names a company the directory does not have."""
    roster = current_roster(conn)
    for company in companies or ():
        if roster is None or company not in roster.directory.companies:
            why = "no directory is loaded" if roster is None else "not a company of the directory"
            raise ReportError("company", f"{company!r}: {why}")
    if companies is not None and len(companies) == 1 and roster is not None:
        return roster.zone(companies[0], display_tz)
    return ZoneInfo(display_tz)


def span(conn: Connection, request: QueueStatsRequest, display_tz: str,
         now: datetime | None = None) -> tuple[datetime, datetime]:
    """The request's period in UTC (calldata.reports.period, in `zone_of`'s zone)."""
    calendar = ReportRequest(companies=request.companies or (), year=request.year, month=request.month,
                             day=request.day, days=request.days)
    return period(calendar, zone_of(conn, request.companies, display_tz), now)


def figures_between(conn: Connection, start: datetime, end: datetime, companies: tuple[str, ...] | None,
                    queues: tuple[str, ...] = (), service_level: int = DEFAULT_SERVICE_LEVEL) -> dict[str, Any]:
    """`{"from", "to", "values"}`: the period (epoch seconds) and queue -> the figures of the stays
    entered in [start, end)."""
    values = period_figures(conn, start, end, queues, companies, service_level)
    return {"from": int(start.timestamp()), "to": int(end.timestamp()), "values": values}


def queue_stats(conn: Connection, request: QueueStatsRequest, display_tz: str,
                now: datetime | None = None) -> dict[str, Any]:
    """The answer's members for `request` (POST /rest/queue/stats)."""
    start, end = span(conn, request, display_tz, now)
    return figures_between(conn, start, end, request.companies, request.queues, request.service_level)
