"""A report tabulated a day at a time is the report of the whole period, wherever the days are cut:
a pickup across a cut, a leg longer than the margin read after a day, a device named without calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from calldata.reports import build, days
from calldata.reports.request import ReportRequest
from calldata.store.schema import cdr

COMPANIES = ("acme", "globex")
NOVEMBER = (2026, 11)


def test_days_are_cut_at_utc_midnights_within_the_period() -> None:
    start, end = datetime(2026, 3, 28, 23, tzinfo=UTC), datetime(2026, 3, 31, 0, 30, tzinfo=UTC)
    cut = days.days(start, end)
    assert [(d.first, d.last) for d in cut] == [
        (int(start.timestamp()), int(datetime(2026, 3, 29, tzinfo=UTC).timestamp())),
        (int(datetime(2026, 3, 29, tzinfo=UTC).timestamp()), int(datetime(2026, 3, 30, tzinfo=UTC).timestamp())),
        (int(datetime(2026, 3, 30, tzinfo=UTC).timestamp()), int(datetime(2026, 3, 31, tzinfo=UTC).timestamp())),
        (int(datetime(2026, 3, 31, tzinfo=UTC).timestamp()), int(end.timestamp())),
    ]
    assert {(d.start, d.end) for d in cut} == {(int(start.timestamp()), int(end.timestamp()))}
    assert days.days(start, start) == []


def test_trimmed_keeps_the_days_lines_and_the_named_keys() -> None:
    day = days.Day(100, 200, 0, 1000)
    table = {"201": {"name": "A", "calls": [{"calldate": 99}, {"calldate": 100}, {"calldate": 199}, {"calldate": 200}]},
             "202": {"name": "B", "calls": [{"calldate": 250}]},
             "203": {"name": "C", "calls": []}}
    assert days.trimmed(table, day, ["203"]) == {"201": {"name": "A", "calls": [{"calldate": 100}, {"calldate": 199}]},
                                                 "203": {"name": "C", "calls": []}}


@pytest.fixture
def cut_every(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """Make reports cut their periods every `size` seconds from the epoch, not at UTC midnights."""
    whole = days.days

    def every(size: int) -> None:
        monkeypatch.setattr(days, "days", lambda start, end: whole(start, end, size))
    yield every


def reports(engine: Engine, request: ReportRequest) -> dict[tuple[str, str], Any]:
    with engine.connect() as conn:
        return {(kind, company): build.report(conn, kind, replace(request, companies=(company,)), "UTC")
                for kind in ("incalls", "outcalls") for company in COMPANIES}


def test_by_days_or_cut_anywhere_a_report_is_the_whole_periods(
        world: Engine, cut_every: Callable[[int], None], monkeypatch: pytest.MonkeyPatch) -> None:
    month = ReportRequest(("acme",), *NOVEMBER)
    cut_every(10**10)  # one piece: the whole period
    whole = reports(world, month)
    assert any(entry["calls"] for table in whole.values() for entry in table.values())
    assert any(call["detail"].startswith("Picked up by") for table in whole.values()
               for entry in table.values() for call in entry["calls"])  # the world has pickups to cut across
    cut_every(days.DAY)
    assert reports(world, month) == whole
    with world.connect() as conn:
        picks = conn.execute(select(cdr.c.calldate).where(cdr.c.is_pick.is_(True))).scalars().all()
    assert picks
    monkeypatch.setattr(days, "MARGIN", 0)  # every leg that may be picked up is read by its end, not the margin
    for pick in picks:
        second = int(pick.timestamp())
        for size in (second, second + 1):  # a cut where the pickup starts, and a second after
            cut_every(size)
            assert reports(world, month) == whole, size


def test_a_device_named_without_calls_stays_in_every_cut(world: Engine, cut_every: Callable[[int], None]) -> None:
    asked = ReportRequest(("acme",), *NOVEMBER, deviceids=("iax2/ACME-203", "PJSIP/acme-203"))
    with world.connect() as conn:
        cut_every(10**10)
        whole = build.report(conn, "outcalls", asked, "UTC")
        cut_every(3600)
        assert build.report(conn, "outcalls", asked, "UTC") == whole
    assert list(whole) == ["IAX2/acme-203", "PJSIP/acme-203"] and not whole["PJSIP/acme-203"]["calls"]
    assert whole["IAX2/acme-203"]["totals"]["calls"] == len(whole["IAX2/acme-203"]["calls"]) > 0


def test_a_run_of_days_read_at_once_gives_each_day_its_own_legs(world: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # MARGIN 0: every leg still ringing at its day's end is read past it (the run's read, or alone)
    monkeypatch.setattr(days, "MARGIN", 0)
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    with world.connect() as conn:
        seconds = [int(t.timestamp()) for t in conn.execute(select(cdr.c.end).where(cdr.c.end.is_not(None))).scalars()]
        assert seconds
        for size in (3600, 600, *seconds[:5]):  # cuts between a leg's start and its end
            cut = [day for day in days.days(start, end, size) if any(day.first - size <= s < day.last + size for s in seconds)]
            for side in ("company", "target"):
                for company in COMPANIES:
                    for length in (1, 2, 3):
                        for i in range(0, len(cut) - length + 1):
                            run = cut[i:i + length]
                            if days.runs(run) != [run]:
                                continue
                            assert days.read(conn, side, company, run) == [days.legs(conn, side, company, day) for day in run]
