"""A report's period: a month, or `days` days from a day, in the company's zone, as UTC instants."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from calldata.reports.request import ReportError, ReportRequest

MAX_DAYS = 366


def period(request: ReportRequest, zone: ZoneInfo, now: datetime | None = None) -> tuple[datetime, datetime]:
    """`[start, end)` in UTC: local midnights, so a day is 23 or 25 hours across a DST change."""
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    year = today.year if request.year is None else request.year
    month = today.month if request.month is None else request.month
    if request.day is None:
        first = date(year, month, 1)
        after = date(year + month // 12, month % 12 + 1, 1)
    else:
        last = calendar.monthrange(year, month)[1]
        if request.day > last:
            raise ReportError("day", f"{year:04d}-{month:02d} has no day {request.day} (it has {last})")
        first = date(year, month, request.day)
        try:
            after = first + timedelta(days=request.days)
        except OverflowError:
            raise ReportError("days", f"{request.days} days from {first} is past the year 9999") from None
    return midnight(first, zone), midnight(after, zone)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local day starts (dashboards bucket by it too)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
