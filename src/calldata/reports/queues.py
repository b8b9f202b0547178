"""Queue statistics for a period (docs/queues.md): the scope checked against the directory, the
period in the company's zone, then the stays entered in it counted (calldata.queues.stats)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from calldata.queues.query import period_events
from calldata.queues.stats import DEFAULT_SERVICE_LEVEL, figures
from calldata.queues.stays import Stay, stays
from calldata.reports.period import period
from calldata.reports.request import ReportError, ReportRequest
from calldata.reports.roster import current_roster


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


def span(conn: Connection, request: QueueStatsRequest, display_tz: str,
         now: datetime | None = None) -> tuple[datetime, datetime]:
    """The period in UTC: in the company's zone when one company is asked, else the display zone;
    ReportError names a company the directory does not have."""
    roster = current_roster(conn)
    zone = ZoneInfo(display_tz)
    for company in request.companies or ():
        if roster is None or company not in roster.directory.companies:
            why = "no directory is loaded" if roster is None else "not a company of the directory"
            raise ReportError("company", f"{company!r}: {why}")
    if request.companies is not None and len(request.companies) == 1 and roster is not None:
        zone = roster.zone(request.companies[0], display_tz)
    calendar = ReportRequest(companies=request.companies or (), year=request.year, month=request.month,
                             day=request.day, days=request.days)
    return period(calendar, zone, now)


def within(start: datetime, end: datetime, found: list[Stay]) -> list[Stay]:
    """The stays entered in [start, end) (a caller's other stays, entered before, are left out)."""
    first, after = int(start.timestamp()), int(end.timestamp())
    return [stay for stay in found if first <= stay.enter < after]


def queue_stats(conn: Connection, request: QueueStatsRequest, display_tz: str,
                now: datetime | None = None) -> dict[str, Any]:
    """`{"from", "to", "values"}`: the period (epoch seconds) and queue -> figures."""
    start, end = span(conn, request, display_tz, now)
    events = period_events(conn, start, end, request.queues, request.companies)
    counted = within(start, end, stays(events))
    return {"from": int(start.timestamp()), "to": int(end.timestamp()),
            "values": figures(counted, request.service_level, request.queues)}
