"""A dashboard's period: a day (by the hour) or a month (by the day) in the display time zone."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from calldata.reports.period import midnight

QUARTER = 900  # seconds: the database groups by quarter-hour, every zone's offset is a multiple of it


class Period(NamedTuple):
    """`days` local days from `first`: one day is shown by the hour, more by the day."""

    first: date
    days: int

    @classmethod
    def day(cls, day: date) -> Period:
        return cls(day, 1)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        return cls(first, (date(year + month // 12, month % 12 + 1, 1) - first).days)

    @property
    def hourly(self) -> bool:
        return self.days == 1

    @property
    def name(self) -> str:
        """`2026-11-29` for a day, `2026-11` for a month."""
        return self.first.isoformat() if self.hourly else f"{self.first:%Y-%m}"

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """`[start, end)` in UTC: local midnights (a day is 23 or 25 hours across a DST change)."""
        return midnight(self.first, zone), midnight(self.first + timedelta(days=self.days), zone)

    def buckets(self, zone: ZoneInfo) -> Buckets:
        """The period's hours or days, each a UTC epoch second where it starts, with its label."""
        start, end = self.bounds(zone)
        if self.hourly:  # local hours are whole UTC hours apart, also across a DST change
            starts = [int(start.timestamp()) + 3600 * k for k in range(int((end - start).total_seconds()) // 3600)]
            labels = [f"{datetime.fromtimestamp(s, zone):%H:%M}" for s in starts]
            if len(set(labels)) < len(labels):  # the hour repeated when clocks go back: name the offsets
                labels = [f"{datetime.fromtimestamp(s, zone):%H:%M %Z}" for s in starts]
        else:
            days = [self.first + timedelta(days=k) for k in range(self.days)]
            starts = [int(midnight(day, zone).timestamp()) for day in days]
            labels = [day.isoformat() for day in days]
        return Buckets(starts, labels)


class Buckets(NamedTuple):
    """A chart's x axis: where each bucket starts (UTC epoch seconds, ascending) and its label."""

    starts: list[int]
    labels: list[str]

    def index(self, quarter: int) -> int:
        """The bucket holding quarter-hour `quarter` (epoch seconds // QUARTER) of the period."""
        return bisect_right(self.starts, quarter * QUARTER) - 1
