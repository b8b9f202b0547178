"""A report's period is counted in the company's zone (else the display zone), midnight to midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from calldata.attribution.directory import DirectoryError, parse_directory
from calldata.reports.build import report
from calldata.reports.period import period
from calldata.reports.request import ReportError, ReportRequest
from calldata.store.schema import cdr
from recordings import DIRECTORY_YAML
from stored_world import load_world

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_month_runs_from_local_midnight_to_local_midnight() -> None:
    assert period(ReportRequest(("acme",), 2026, 11), BERLIN) == (utc(2026, 10, 31, 23), utc(2026, 11, 30, 23))
    assert period(ReportRequest(("acme",), 2026, 12), BERLIN) == (utc(2026, 11, 30, 23), utc(2026, 12, 31, 23))


def test_days_cross_month_ends_and_daylight_saving_changes() -> None:
    start, end = period(ReportRequest(("acme",), 2026, 3, day=29), BERLIN)  # clocks go forward
    assert (start, end - start) == (utc(2026, 3, 28, 23), timedelta(hours=23))
    start, end = period(ReportRequest(("acme",), 2026, 10, day=25), BERLIN)  # clocks go back
    assert end - start == timedelta(hours=25)
    assert period(ReportRequest(("acme",), 2026, 11, day=30, days=3), BERLIN) == (utc(2026, 11, 29, 23), utc(2026, 12, 2, 23))


def test_the_current_month_is_the_companys_own() -> None:
    now = utc(2026, 11, 30, 23, 30)  # already 1 December in Berlin
    assert period(ReportRequest(("acme",)), BERLIN, now)[0] == utc(2026, 11, 30, 23)
    assert period(ReportRequest(("acme",)), ZoneInfo("UTC"), now)[0] == utc(2026, 11, 1)


def test_a_day_the_month_lacks_is_refused() -> None:
    with pytest.raises(ReportError) as refused:
        period(ReportRequest(("acme",), 2026, 2, day=29), BERLIN)
    assert refused.value.key == "day" and "2026-02 has no day 29" in str(refused.value)


def with_zone(zone: str) -> str:
    """The example directory with acme's time zone set."""
    return DIRECTORY_YAML.read_text().replace("    name: Acme Ltd\n", f"    name: Acme Ltd\n    timezone: {zone}\n", 1)


def acctids(values: dict) -> set[int]:
    return {call["acctid"] for entry in values.values() for call in entry["calls"]}


def started(engine: Engine, since: datetime, until: datetime) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(select(cdr.c.acctid).where(cdr.c.calldate >= since, cdr.c.calldate < until)).scalars())


@pytest.mark.parametrize(("directory", "display_tz"), [(with_zone("America/Los_Angeles"), "Europe/Berlin"),
                                                       (None, "America/Los_Angeles")])
def test_a_day_report_counts_the_company_zones_day(engine: Engine, directory: str | None, display_tz: str) -> None:
    # the recordings start at 02:02 UTC on 29 November: 18:02 on the 28th in Los Angeles (UTC-8)
    load_world(engine, directory)
    with engine.connect() as conn:
        days = {day: report(conn, "outcalls", ReportRequest(("acme",), 2026, 11, day=day), display_tz) for day in (28, 29)}
    local_28th = started(engine, utc(2026, 11, 28, 8), utc(2026, 11, 29, 8))
    local_29th = started(engine, utc(2026, 11, 29, 8), utc(2026, 11, 30, 8))
    assert acctids(days[28]) and acctids(days[28]) <= local_28th
    assert acctids(days[29]) and acctids(days[29]) <= local_29th


def test_a_company_zone_east_of_utc_moves_legs_into_the_next_day(engine: Engine) -> None:
    load_world(engine, with_zone("Pacific/Auckland"))  # UTC+13: 11:00 UTC on the 29th is midnight
    with engine.connect() as conn:
        day_30 = report(conn, "incalls", ReportRequest(("acme",), 2026, 11, day=30), "UTC")
        december = report(conn, "incalls", ReportRequest(("acme",), 2026, 12), "UTC")
    assert acctids(day_30) and acctids(day_30) <= started(engine, utc(2026, 11, 29, 11), utc(2026, 11, 30, 11))
    assert december == {}


def test_an_unknown_company_zone_is_refused_at_its_line() -> None:
    text = with_zone("Mars/Olympus_Mons")
    line = text.splitlines().index("    timezone: Mars/Olympus_Mons") + 1
    with pytest.raises(DirectoryError) as refused:
        parse_directory(text, "directory.yaml")
    assert f"directory.yaml:{line}: company 'acme': unknown time zone 'Mars/Olympus_Mons'" in str(refused.value)
