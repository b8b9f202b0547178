"""A dashboard's period and buckets (pure): local days and hours as UTC instants, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from calldata.dashboards.period import QUARTER, Period

LONDON = ZoneInfo("Europe/London")


def quarter(*when: int) -> int:
    """The quarter-hour (as the database groups) of a UTC time."""
    return int(datetime(*when, tzinfo=UTC).timestamp()) // QUARTER


def test_the_day_the_clocks_go_forward_has_23_hours() -> None:
    day = Period.day(date(2026, 3, 29))
    assert day.bounds(LONDON) == (datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 3, 29, 23, tzinfo=UTC))
    buckets = day.buckets(LONDON)
    assert buckets.labels[:3] == ["00:00", "02:00", "03:00"] and len(buckets.labels) == 23  # 01:00 never happens
    assert buckets.index(quarter(2026, 3, 29, 0, 59)) == 0 and buckets.index(quarter(2026, 3, 29, 1, 0)) == 1


def test_a_month_is_its_local_days() -> None:
    february = Period.month(2027, 2)
    assert (february.days, february.name) == (28, "2027-02")
    assert Period.month(2026, 12) == Period(date(2026, 12, 1), 31)
    buckets = february.buckets(ZoneInfo("Asia/Kolkata"))  # UTC+05:30: days start at 18:30 UTC the day before
    assert buckets.labels[0] == "2027-02-01" and buckets.labels[-1] == "2027-02-28"
    assert buckets.index(quarter(2027, 1, 31, 18, 30)) == 0
    assert buckets.index(quarter(2027, 2, 1, 18, 15)) == 0 and buckets.index(quarter(2027, 2, 1, 18, 30)) == 1


def test_a_day_is_named_by_its_date() -> None:
    assert Period.day(date(2026, 11, 29)).name == "2026-11-29"
    assert Period.day(date(2026, 11, 29)).buckets(ZoneInfo("UTC")).labels[13] == "13:00"
