"""Dashboards from stored closed days (dashboards.kept) are the live ones, whatever the legs:
for the operator, one company and a set of two (a call between them counted once), in zones off the hour and across
a change of clocks, with calls crossing midnight, in several currencies; and stay so when legs
come late, are re-rated or re-decided, or go. Both stores."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func, select

from calldata.attribution import refresh as attribution
from calldata.attribution import versions
from calldata.dashboards import refresh, stored
from calldata.dashboards.build import dashboard
from calldata.dashboards.figures import Dashboard
from calldata.dashboards.period import Period
from calldata.dashboards.query import Scope
from calldata.dashboards.schema import dashboard_day
from calldata.demo.demo import DECK_CURRENCY, DECK_PRECISION, EXAMPLE_DECKS, EXAMPLE_DIRECTORY
from calldata.rating import decks
from calldata.rating.rerate import rerate
from calldata.store.engine import sync_engine
from calldata.store.schema import cdr
from dashboard_legs import COMPANIES, START, channels, insert_raw, raw_calls, store_generated

MONTH = Period.month(2026, 10)
OPERATOR, ACME, BOTH = Scope(), Scope(frozenset({"acme"})), Scope(frozenset(COMPANIES))
ZONES = ("UTC", "Europe/London", "Asia/Kolkata", "Pacific/Chatham")
LATER = datetime(2026, 11, 30, tzinfo=UTC)  # every day of October closed
MIDWAY = datetime(2026, 10, 26, 4, tzinfo=UTC)  # some closed, the rest read live
EXAMPLES = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ALL = 1000  # the top extensions and destinations: all of them
ALL_TIME = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


@pytest.fixture
def generated(engine: Engine) -> Engine:
    store_generated(engine)
    return engine


def pair(engine: Engine, scope: Scope, period: Period, zone: str, now: datetime = LATER,
         top: int = 10) -> tuple[Dashboard, Dashboard]:
    """(from stored days, wholly live)."""
    with engine.connect() as conn:
        kept = dashboard(conn, scope, period, ZoneInfo(zone), show_cost=True, now=now, top=top)
    with engine.connect() as conn:
        return kept, dashboard(conn, scope, period, ZoneInfo(zone), show_cost=True, live=True, top=top)


def stored_days(engine: Engine) -> list[tuple[str, str, date]]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(dashboard_day.c.scope, dashboard_day.c.zone, dashboard_day.c.day)).all())


def assert_same(engine: Engine, scope: Scope, period: Period, zone: str, now: datetime = LATER,
                top: int = 10) -> Dashboard:
    kept, live = pair(engine, scope, period, zone, now, top)
    assert kept == live
    return kept


@EXAMPLES
@given(data=st.data(), zone=st.sampled_from(ZONES), scope=st.sampled_from((OPERATOR, ACME, BOTH)))
def test_stored_days_give_the_live_dashboard(generated: Engine, data: Any, zone: str, scope: Scope) -> None:
    names = channels(generated)
    assert_same(generated, scope, MONTH, zone)  # the days stored now
    assert (stored.key_of(scope), zone) in {(key, where) for key, where, _ in stored_days(generated)}
    insert_raw(generated, data.draw(raw_calls(names)))  # legs added without a call change
    try:
        for now in (LATER, MIDWAY):
            month = assert_same(generated, scope, MONTH, zone, now, top=ALL)  # every extension and number shown
            assert month.totals.calls > 0 and len(month.extensions.labels) > 2 and len(month.destinations.labels) > 2
            for day in (date(2026, 10, 24), date(2026, 10, 25)):  # the 25th is 25 hours long in London
                assert_same(generated, scope, Period.day(day), zone, now, top=ALL)
    finally:  # the next example starts from the generated legs alone (the newest acctids go: all days dropped)
        with generated.begin() as conn:
            conn.execute(delete(cdr).where(cdr.c.natkey.startswith("raw-")))


def test_the_recorded_runs_stored_are_the_live_dashboard(rated_world: Engine) -> None:
    """The real Asterisk runs (every leg on 29 November 2026, rated), their days stored."""
    after = datetime(2026, 12, 1, 6, tzinfo=UTC)
    for scope in (OPERATOR, ACME, BOTH):
        for zone in ("UTC", "Asia/Kolkata"):
            for period in (Period.month(2026, 11), Period.day(date(2026, 11, 29))):
                assert_same(rated_world, scope, period, zone, after)
    assert assert_same(rated_world, OPERATOR, Period.day(date(2026, 11, 29)), "UTC", after).totals.calls == 47


def test_the_operator_a_company_and_a_set_of_companies_are_stored(generated: Engine) -> None:
    for scope in (OPERATOR, ACME, BOTH):
        assert_same(generated, scope, MONTH, "Asia/Kolkata")
    days = stored_days(generated)
    assert {(key, zone) for key, zone, _ in days} == {(key, "Asia/Kolkata") for key in ("*", "acme", "acme+globex")}
    assert len(days) == 3 * 31
    assert_same(generated, OPERATOR, MONTH, "Asia/Kolkata", MIDWAY)  # no day stored twice
    assert stored_days(generated) == days


def test_a_late_leg_refreshes_its_stored_day(generated: Engine) -> None:
    before, _ = pair(generated, ACME, MONTH, "Europe/London")
    names = [name for name in channels(generated) if "acme" in name]
    late = {"calldate": START + timedelta(days=1, hours=10), "channel": f"{names[0]}-0000beef", "dstchannel": "",
            "disposition": "ANSWERED", "answer": START + timedelta(days=1, hours=10, seconds=3),
            "end": START + timedelta(days=1, hours=10, minutes=5), "billsec": 297, "natkey": "late-1",
            "call": "late-call", "company": "acme", "target": "", "bill_to": "acme", "dial_full": "01632960999",
            "price": 1_000_000, "currency": "GBP", "rating": "rated"}
    insert_raw(generated, [late])
    after = assert_same(generated, ACME, MONTH, "Europe/London")
    assert after.totals.calls == before.totals.calls + 1
    assert after.money.price != before.money.price


def test_re_rating_refreshes_the_stored_days(generated: Engine) -> None:
    before, _ = pair(generated, OPERATOR, MONTH, "UTC")
    head, *rows = (EXAMPLE_DECKS / "uk-retail.csv").read_text().splitlines()
    doubled = [head]
    for row in rows:  # prefix,destination,kind,rate,...: every rate doubled
        fields = row.split(",")
        fields[3] = f"{float(fields[3]) * 2:.4f}"
        doubled.append(",".join(fields))
    with generated.begin() as conn:
        decks.load(conn, "\n".join(doubled) + "\n", "doubled.csv", name="uk-retail", currency=DECK_CURRENCY,
                   precision=DECK_PRECISION)
    with generated.connect() as conn:
        plan = versions.current_lookup(conn).plan  # type: ignore[union-attr]
        done = rerate(conn, decks.rater(conn, plan), *ALL_TIME)
    assert done.changed > 0
    after = assert_same(generated, OPERATOR, MONTH, "UTC")
    assert after.money.price != before.money.price


def test_a_reprocess_refreshes_the_stored_days(generated: Engine) -> None:
    before, _ = pair(generated, ACME, MONTH, "UTC")
    text = EXAMPLE_DIRECTORY.read_text().replace('      "441908276651": "201"\n', "")
    text = text.replace('      "442071234567": "201"\n', '      "442071234567": "201"\n      "441908276651": "202"\n')
    with generated.begin() as conn:
        versions.save(conn, text, "moved.yaml")
    with generated.connect() as conn:
        done = attribution.reprocess(conn)
    assert done.updated > 0
    after = assert_same(generated, ACME, MONTH, "UTC")
    assert after.totals != before.totals
    assert_same(generated, Scope(frozenset({"globex"})), MONTH, "UTC")


def test_legs_gone_drop_every_stored_day(generated: Engine) -> None:
    assert_same(generated, OPERATOR, MONTH, "UTC")
    with generated.begin() as conn:  # as retention does: the oldest acctids go
        lowest = conn.execute(select(func.min(cdr.c.acctid))).scalar_one()
        conn.execute(delete(cdr).where(cdr.c.acctid < lowest + 200))
    assert_same(generated, OPERATOR, MONTH, "UTC")


def test_two_builders_store_each_day_once(generated: Engine, store_url: str) -> None:
    days = [MONTH.first + timedelta(days=k) for k in range(MONTH.days)]
    engines = [sync_engine(store_url) for _ in range(2)]
    built: list[int] = []
    start = threading.Barrier(2)

    def build(engine: Engine) -> None:
        with engine.connect() as conn:
            start.wait()
            with conn.begin():
                built.append(refresh.ensure(conn, OPERATOR, ZoneInfo("UTC"), days))

    threads = [threading.Thread(target=build, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert sorted(built) == [0, 31]
    assert len(stored_days(generated)) == 31
    assert_same(generated, OPERATOR, MONTH, "UTC")


def test_a_call_between_two_companies_of_a_set_counts_once(generated: Engine) -> None:
    """acme's extension calls globex's: each company's dashboard counts the call, the set's (stored
    days, as live) once."""
    names = channels(generated)
    acme, globex = ([name for name in names if company in name][0] for company in COMPANIES)
    when = START + timedelta(days=2, hours=11)
    legs = [{"calldate": when, "channel": f"{acme}0000cafe", "dstchannel": f"{globex}cafe", "disposition": "ANSWERED",
             "answer": when + timedelta(seconds=4), "end": when + timedelta(minutes=3), "billsec": 176,
             "duration": 180, "natkey": "between-1", "call": "between-call", "company": "acme", "target": "globex",
             "bill_to": None, "dial_full": None, "rating": None}]
    day = Period.day(when.date())
    alone = [assert_same(generated, scope, day, "UTC").totals.calls for scope in (ACME, Scope(frozenset({"globex"})))]
    together = assert_same(generated, BOTH, day, "UTC").totals.calls
    insert_raw(generated, legs)
    assert [assert_same(generated, scope, day, "UTC").totals.calls
            for scope in (ACME, Scope(frozenset({"globex"})))] == [n + 1 for n in alone]
    assert assert_same(generated, BOTH, day, "UTC").totals.calls == together + 1
    assert ("acme+globex", "UTC", when.date()) in stored_days(generated)


def test_the_key_of_a_scope() -> None:
    assert [stored.key_of(scope) for scope in (OPERATOR, ACME, BOTH)] == ["*", "acme", "acme+globex"]
    assert stored.key_of(Scope(frozenset({"globex", "acme"}))) == "acme+globex"  # whatever the order
    for unstorable in (frozenset(), {"*"}, {"acme+globex"}, {"acme", "a b"}):  # no company; ids no directory holds
        assert stored.key_of(Scope(frozenset(unstorable))) is None
    many = Scope(frozenset(f"company_{n:03d}" for n in range(40)))
    key = stored.key_of(many)
    assert key is not None and key.startswith(stored.DIGEST) and len(key) == 33
    assert key != stored.key_of(Scope(frozenset(f"company_{n:03d}" for n in range(41))))
    assert stored.scope_of(key) is None
    for scope in (OPERATOR, ACME, BOTH):
        assert stored.scope_of(stored.key_of(scope)) == scope  # type: ignore[arg-type]


def test_a_set_stored_under_its_digest_is_the_live_dashboard(generated: Engine) -> None:
    many = Scope(frozenset({*COMPANIES, *(f"company_{n:03d}" for n in range(40))}))
    assert_same(generated, many, MONTH, "Europe/London")
    assert {key for key, _, _ in stored_days(generated)} == {stored.key_of(many)}
