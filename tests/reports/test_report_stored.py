"""Report days stored (reports.stored, migration 0020): a day one server process tabulated is read by
another without tabulating, equal to a fresh report; a change touching it (a new leg, a reprocess, a
re-rating) or a new directory version makes it tabulated again; two writers of one day both succeed;
rows of an old directory or unused for long are pruned; `calldata reports refresh` stores every
company's months ahead of the first view, and the API's reports store and read them."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from api.api_helpers import serving
from calldata.api.app import create_app
from calldata.attribution import versions
from calldata.attribution.directory import parse_directory
from calldata.attribution.refresh import reprocess
from calldata.auth.permissions import SYSTEM_ADMIN
from calldata.config import Settings
from calldata.demo.generator import generate
from calldata.ingest.sink import store_batch
from calldata.reports import changes, stored
from calldata.reports.build import plan, report, tabulate
from calldata.reports.kept import KeptDays
from calldata.reports.refresh import months_back, refresh
from calldata.reports.request import ReportRequest
from calldata.reports.schema import report_day
from calldata.store.engine import snapshot
from cli.cli_support import calldata
from rated_world import dearer_geographic, load_rated_world, rate_all
from recordings import DIRECTORY_YAML, carol_moved
from stored_world import key_for

NOVEMBER = (2026, 11)
DAYS = 30
KINDS = ("incalls", "outcalls")


def viewed(engine: Engine, kept: KeptDays, kind: str = "incalls", company: str = "acme") -> dict[str, Any]:
    """A company's November as a server process makes it: tabulated in a snapshot, then its days saved."""
    with snapshot(engine) as conn:
        values = tabulate(conn, plan(conn, kind, ReportRequest((company,), *NOVEMBER), "UTC"), kept)
    with engine.connect() as conn:
        kept.save(conn)
    return values


def fresh(engine: Engine, kind: str = "incalls", company: str = "acme") -> dict[str, Any]:
    """The report tabulated straight from the legs, nothing kept."""
    with engine.connect() as conn:
        return report(conn, kind, ReportRequest((company,), *NOVEMBER), "UTC")


def rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(report_day)).scalar_one()


@pytest.mark.parametrize("kind", KINDS)
def test_a_day_one_process_tabulated_is_read_by_another(world: Engine, kind: str) -> None:
    first = KeptDays(stored=True)
    made = viewed(world, first, kind)
    assert first.built == DAYS and first.loaded == 0 and rows(world) == DAYS
    second = KeptDays(stored=True)  # a new server process: nothing in memory
    assert viewed(world, second, kind) == made == fresh(world, kind)
    assert second.built == 0 and second.loaded == DAYS
    assert viewed(world, second, kind) == made and second.loaded == DAYS  # then held in memory
    alone = KeptDays()  # not stored: tabulated again
    assert viewed(world, alone, kind) == made and alone.built == DAYS and rows(world) == DAYS


def test_a_new_leg_makes_the_stored_days_it_touched_tabulated_again(world: Engine) -> None:
    before = viewed(world, KeptDays(stored=True), "outcalls")
    ninth = generate(parse_directory(DIRECTORY_YAML.read_text()), rows=40, seed=5,
                     start=datetime(2026, 11, 9, 10, tzinfo=UTC), days=1)
    with world.begin() as conn:
        store_batch(conn, list(ninth))
    after = KeptDays(stored=True)
    assert viewed(world, after, "outcalls") == fresh(world, "outcalls") != before
    assert 1 <= after.built <= 2 and after.loaded == DAYS - after.built  # the 9th (and the 10th, past midnight)
    with world.connect() as conn:  # the days found still true renewed: the next process checks from here
        now = changes.current(conn)
        assert set(conn.execute(select(report_day.c.seq, report_day.c.high)).all()) == {(now.seq, now.high)}
    again = KeptDays(stored=True)
    assert viewed(world, again, "outcalls") == fresh(world, "outcalls") and again.built == 0  # written back


def test_a_reprocess_makes_the_stored_days_tabulated_again(world: Engine) -> None:
    moved = carol_moved()
    with world.begin() as conn:
        versions.save(conn, moved, "test")
    before = viewed(world, KeptDays(stored=True), "incalls", "globex")
    with world.connect() as conn:
        assert reprocess(conn).updated
    after = KeptDays(stored=True)
    values = viewed(world, after, "incalls", "globex")
    assert "203" not in before and values["203"]["calls"] and values == fresh(world, "incalls", "globex")
    assert 1 <= after.built < DAYS  # the days of the calls reprocessed, not the month


def test_a_rerating_makes_the_stored_days_tabulated_again(engine: Engine) -> None:
    load_rated_world(engine)
    before = viewed(engine, KeptDays(stored=True), "outcalls")
    dearer_geographic(engine)
    rate_all(engine)
    after = KeptDays(stored=True)
    values = viewed(engine, after, "outcalls")
    assert values != before and values == fresh(engine, "outcalls")
    assert 1 <= after.built < DAYS


def test_a_new_directory_version_tabulates_anew_and_the_old_rows_are_pruned(world: Engine) -> None:
    before = viewed(world, KeptDays(stored=True))
    with world.begin() as conn:
        versions.save(conn, DIRECTORY_YAML.read_text().replace("{name: Alice,", "{name: Alicia,"), "test")
    after = KeptDays(stored=True)
    values = viewed(world, after)
    assert before["201"]["name"] == "Alice" and values["201"]["name"] == "Alicia" and values == fresh(world)
    assert after.built == DAYS and after.loaded == 0 and rows(world) == 2 * DAYS
    with world.begin() as conn:
        head = versions.head(conn)
        assert head is not None
        assert stored.prune(conn, head[0], datetime.now(UTC).date()) == DAYS
    again = KeptDays(stored=True)
    assert viewed(world, again) == values and again.loaded == DAYS and rows(world) == DAYS


def test_days_not_used_for_long_are_pruned_and_a_view_renews_them_once_a_day(world: Engine) -> None:
    viewed(world, KeptDays(stored=True))
    today = datetime.now(UTC).date()
    with world.begin() as conn:
        conn.execute(update(report_day).where(report_day.c.first < datetime(2026, 11, 11, tzinfo=UTC).timestamp())
                     .values(used=today - stored.UNUSED - timedelta(days=1)))
        conn.execute(update(report_day).where(report_day.c.first >= datetime(2026, 11, 21, tzinfo=UTC).timestamp())
                     .values(used=today - timedelta(days=3)))
    with world.begin() as conn:
        head = versions.head(conn)
        assert head is not None
        assert stored.prune(conn, head[0], today) == 10  # 1-10 November
    reader = KeptDays(stored=True)
    assert viewed(world, reader) == fresh(world) and reader.built == 10 and reader.loaded == 20
    with world.connect() as conn:
        assert set(conn.execute(select(report_day.c.used)).scalars()) == {today}  # read: used today


def test_two_writers_of_the_same_days_both_succeed(world: Engine) -> None:
    one, two = KeptDays(stored=True), KeptDays(stored=True)
    with snapshot(world) as conn:
        planned = plan(conn, "outcalls", ReportRequest(("acme",), *NOVEMBER), "UTC")
        tabulate(conn, planned, one)
        tabulate(conn, planned, two)
    assert one.built == two.built == DAYS
    failed: list[BaseException] = []

    def second() -> None:
        try:
            with world.connect() as conn:
                assert two.save(conn) == DAYS
        except BaseException as exc:  # noqa: BLE001  (raised in the test's thread below)
            failed.append(exc)

    with world.connect() as conn, conn.begin():  # the first writer's days written, not yet committed
        for statement in stored.statements(conn, list(one._writes.values())):
            conn.execute(statement)
        other = threading.Thread(target=second)
        other.start()
        other.join(0.5)
        assert other.is_alive()  # waiting on the first writer's rows (PostgreSQL) or its write lock (SQLite)
    other.join(30)
    assert not other.is_alive() and failed == [] and rows(world) == DAYS
    third = KeptDays(stored=True)
    assert viewed(world, third, "outcalls") == fresh(world, "outcalls") and third.loaded == DAYS


def test_refresh_stores_every_companys_months_and_a_view_then_tabulates_nothing(world: Engine, store_url: str) -> None:
    now = datetime.now(UTC)
    months = now.year * 12 + now.month - (NOVEMBER[0] * 12 + NOVEMBER[1]) + 1  # back to November 2026
    assert months_back(now.date(), months)[0] == NOVEMBER
    env = {"CALLDATA_DATABASE_URL": store_url, "CALLDATA_DISPLAY_TZ": "UTC"}
    done = calldata("reports", "refresh", "--months", str(months), env=env)
    assert done.returncode == 0, done.stderr
    companies = len(parse_directory(DIRECTORY_YAML.read_text()).companies)
    assert done.stdout.startswith(f"{companies * 2 * months} reports: ")
    written = rows(world)
    assert written >= companies * 2 * DAYS
    assert f" {written} days tabulated, 0 stored days still true, {written} written; " in done.stdout
    for kind in KINDS:
        reader = KeptDays(stored=True)
        assert viewed(world, reader, kind, "globex") == fresh(world, kind, "globex")
        assert reader.built == 0 and reader.loaded == DAYS
    again = calldata("reports", "refresh", "--months", str(months), env=env)
    assert again.returncode == 0, again.stderr
    assert f": 0 days tabulated, {written} stored days still true, " in again.stdout


def test_without_a_directory_every_stored_day_is_pruned(world: Engine) -> None:
    viewed(world, KeptDays(stored=True))
    with world.begin() as conn:
        assert stored.prune(conn, None, datetime.now(UTC).date()) == DAYS
    assert rows(world) == 0


@pytest.mark.anyio
async def test_a_second_server_reads_the_days_the_first_stored(store_url: str, world: Engine) -> None:
    key = key_for(world, "admin", {SYSTEM_ADMIN: []})
    scope = {"company": "acme", "year": NOVEMBER[0], "month": NOVEMBER[1]}
    answers, kept = [], []
    for _server in range(2):
        app = create_app(Settings(database_url=store_url, password_hash_profile="CHEAPEST"))
        async with serving(app, key) as c:
            answer = await c.post("/rest/call/outcalls", json={"type": "cdr", "scope": scope})
        assert answer.status_code == 200, answer.text[:300]
        answers.append(answer.json()["values"])
        kept.append(app.state.kept_days)
    assert answers[0] == answers[1] == fresh(world, "outcalls")
    assert (kept[0].built, kept[0].loaded) == (DAYS, 0) and (kept[1].built, kept[1].loaded) == (0, DAYS)


def test_refresh_stops_between_reports_when_asked(world: Engine) -> None:
    asked = []
    done = refresh(world, "UTC", 1, datetime(2026, 11, 30, tzinfo=UTC), stop=lambda: len(asked) >= 2,
                   progress=lambda n, total, what: asked.append(what))
    assert asked == ["acme incalls 2026-11", "acme outcalls 2026-11"] and done.reports == 2
    assert done.built == done.written == 2 * DAYS and rows(world) == 2 * DAYS


def test_months_back() -> None:
    assert months_back(date(2026, 1, 15), 3) == [(2025, 11), (2025, 12), (2026, 1)]
    assert months_back(date(2026, 11, 30), 1) == [(2026, 11)]
