"""The coverage report from stored UTC days plus live edges is attribution.report.coverage's, figure
for figure: for any window, after new legs on a stored day, after a reprocess, and after a new
directory version that only changes what the directory knows."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from calldata.attribution import refresh, versions
from calldata.attribution.directory import load_directory
from calldata.attribution.report import coverage as live
from calldata.cdr import Cdr
from calldata.coverage.report import coverage as fast, plan
from calldata.coverage.schema import coverage_day, coverage_key
from calldata.demo.generator import generate
from calldata.ingest.sink import store_batch
from calldata.store.schema import cdr
from recordings import DIRECTORY_YAML

T = datetime(2026, 3, 2, tzinfo=UTC)  # the legs: ten days from here
DAYS = 10
LATER = datetime(2030, 1, 1, tzinfo=UTC)  # a `now` at which every day is closed


def strangers(seed: int, start: datetime, n: int) -> list[Cdr]:
    """Legs the example directory knows nothing of: unknown channels, contexts, numbers (repeats too)."""
    pick = random.Random(seed)
    legs = []
    for k in range(n):
        at = start + timedelta(seconds=pick.randrange(DAYS * 86400))
        legs.append(Cdr(start=at, end=at + timedelta(seconds=30), channel=f"PJSIP/stranger{pick.randrange(5)}-{k:08x}",
                        dstchannel=pick.choice(["", f"SIP/far{pick.randrange(3)}-{k:08x}"]),
                        dst=str(5550 + pick.randrange(8)), dcontext=f"from-nowhere{pick.randrange(4)}",
                        linkedid=f"{seed}.{k}", uniqueid=f"{seed}.{k}"))
    return legs


def _load(engine: Engine, *, directory: bool = True) -> None:
    made = list(generate(load_directory(DIRECTORY_YAML), rows=1500, seed=3, start=T, days=DAYS))
    with engine.begin() as conn:
        if directory:
            versions.save(conn, DIRECTORY_YAML.read_text(), "world")
        store_batch(conn, made + strangers(1, T, 300))


def _both(engine: Engine, since: datetime | None, until: datetime | None, top: int = 5,
          now: datetime = LATER) -> None:
    with engine.begin() as conn:
        got = fast(conn, since, until, top, now)
    with engine.connect() as conn:
        want = live(conn, since, until, top)
    assert got == want


def _stored(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(coverage_day)).scalar_one(),
                conn.execute(select(func.count()).select_from(coverage_key)).scalar_one())


moments = st.one_of(st.none(), st.integers(-2 * 24, (DAYS + 2) * 24).map(lambda h: T + timedelta(hours=h)),
                    st.integers(-86400, (DAYS + 1) * 86400).map(lambda s: T + timedelta(seconds=s)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(since=moments, until=moments, now=moments, top=st.integers(1, 12))
def test_any_window_is_the_live_report(engine: Engine, since: datetime | None, until: datetime | None,
                                       now: datetime | None, top: int) -> None:
    with engine.connect() as conn:
        empty = conn.execute(select(func.count()).select_from(cdr)).scalar_one() == 0
    if empty:  # once per store: the examples share it, and the days they store
        _load(engine)
    _both(engine, since, until, top, now or LATER)


def test_all_legs_are_read_from_stored_days(engine: Engine) -> None:
    _load(engine)
    _both(engine, None, None)
    days, keys = _stored(engine)
    assert days == DAYS and keys > 0  # the legs' days
    _both(engine, None, None)
    assert _stored(engine) == (days, keys)  # nothing built again


def test_new_legs_on_a_stored_day_drop_it(engine: Engine) -> None:
    _load(engine)
    _both(engine, None, None)
    days, _ = _stored(engine)
    with engine.begin() as conn:
        store_batch(conn, strangers(2, T + timedelta(days=3), 5)[:1])
    _both(engine, None, None)
    _both(engine, T, T + timedelta(days=DAYS))
    assert _stored(engine)[0] == days


def test_a_new_directory_asks_again_of_the_stored_days_and_a_reprocess_drops_them(engine: Engine) -> None:
    _load(engine, directory=False)  # every row unattributed and lacking: everything is a key
    _both(engine, None, None)
    before = _stored(engine)
    with engine.begin() as conn:
        unknown = fast(conn, None, None, 50, LATER).channels
        versions.save(conn, DIRECTORY_YAML.read_text(), "world")  # no leg changes; the lookup does
    _both(engine, None, None)
    with engine.begin() as conn:
        known = fast(conn, None, None, 50, LATER).channels
    assert _stored(engine) == before and len(known) < len(unknown)  # the stored keys asked again
    with engine.connect() as conn:
        refresh.reprocess(conn)
    with engine.begin() as conn:
        changed = fast(conn, None, None, 5, LATER)
    _both(engine, None, None)
    assert changed.unattributed == 0 and _stored(engine) != before  # the reprocessed days built again


def test_plan_cuts_windows_at_utc_midnights() -> None:
    legs = (date(2026, 3, 2), date(2026, 3, 11))
    noon = datetime(2026, 3, 4, 12, tzinfo=UTC)
    assert plan(None, None, None, LATER) == ([], [(None, None)])
    assert plan(None, None, legs, LATER).days[0] == legs[0] and plan(None, None, legs, LATER).days[-1] == legs[1]
    part = plan(noon, datetime(2026, 3, 8, tzinfo=UTC), legs, LATER)
    assert part.days == [date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 7)]
    assert part.live == [(noon, datetime(2026, 3, 5, tzinfo=UTC)), (datetime(2026, 3, 8, tzinfo=UTC),) * 2]
    assert plan(None, None, legs, noon).days[-1] == date(2026, 3, 3)  # today is read live
    assert plan(noon, noon + timedelta(hours=20), legs, LATER).days == []
