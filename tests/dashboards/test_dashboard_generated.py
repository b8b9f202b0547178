"""Dashboards over generated traffic (the demo's directory and decks, across October's change of
clocks): figures that must agree whatever the data, checked on both stores.

- The calls agree with /rest/call/calls' calls (calldata.calls.build over store.calls' legs, the
  legs a scope may see): count, answered, direction by the first leg, talk time.
- Answered + missed = calls = inbound + outbound + internal + undecided; a chart's series sum to the totals.
- The month is the sum of its days, in any zone, and day k of the month's chart is day k's total.
- A scoped dashboard never counts another company's calls: copying every leg as other tenants'
  leaves it unchanged, and doubles the operator's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, case, insert, select

from calldata.attribution import versions
from calldata.calls.build import build
from calldata.dashboards.build import dashboard
from calldata.dashboards.figures import Dashboard, Totals
from calldata.dashboards.period import Period
from calldata.dashboards.query import INBOUND, INTERNAL, OUTBOUND, UNDECIDED, Scope
from calldata.demo.demo import EXAMPLE_DIRECTORY, load_decks
from calldata.demo.generator import generate
from calldata.ingest.sink import store_batch
from calldata.store.calls import CallScope, first_legs, legs_of
from calldata.store.schema import RENDERED_COLUMNS, cdr

MONTH = Period.month(2026, 10)
COMPANIES = ("acme", "globex")  # the demo directory's third, default, has no traffic of its own
ZONES = ("UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Pacific/Chatham")
SCOPES = st.one_of(st.just(Scope()), st.sets(st.sampled_from(COMPANIES), min_size=1).map(lambda s: Scope(frozenset(s))))
SLOW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def traffic(engine: Engine) -> Engine:
    """2,500 generated legs from Friday 23 to Tuesday 27 October 2026 (London's clocks go back on
    the 25th), stored through the sink: attributed and rated as they arrive."""
    load_decks(engine)
    with engine.begin() as conn:
        versions.save(conn, EXAMPLE_DIRECTORY.read_text(), str(EXAMPLE_DIRECTORY))
        legs = list(generate(versions.directory_of(conn), rows=2500, seed=7,  # type: ignore[arg-type]
                             start=datetime(2026, 10, 23, tzinfo=UTC), days=4))
    with engine.begin() as conn:
        store_batch(conn, legs)
    with engine.connect() as conn:
        assert {row[0] for row in conn.execute(select(cdr.c.company).distinct())} == {"", *COMPANIES}
    return engine


def shown(engine: Engine, scope: Scope, period: Period, zone: str = "UTC") -> Dashboard:
    with engine.connect() as conn:
        return dashboard(conn, scope, period, ZoneInfo(zone), show_cost=True)


def calls_totals(engine: Engine, scope: Scope) -> Totals:
    """The scope's calls as /rest/call/calls builds them, counted here one by one."""
    found = Totals(talk={INBOUND: 0, OUTBOUND: 0, INTERNAL: 0})
    with engine.connect() as conn:
        firsts = first_legs(conn, CallScope(companies=scope.companies), 1_000_000)
        for call, legs in legs_of(conn, [call for call, _ in firsts]).items():
            seen = [leg for leg in legs if leg.visible_to(scope.companies)]
            built = build(call, seen, str)
            answered = built["outcome"] == "answered"
            first = seen[0]  # the caller's leg, whose company build() reports
            assert built["caller"]["company"] == (first.company or "")
            way = (UNDECIDED if first.company is None or first.target is None else INBOUND if first.company == ""
                   else OUTBOUND if first.target == "" else INTERNAL)
            found.calls += 1
            found.answered += answered
            found.missed += not answered
            setattr(found, way, getattr(found, way) + 1)
            found.talk[way] = found.talk.get(way, 0) + built["talk"]
    return found


@SLOW
@given(scope=SCOPES)
def test_the_calls_are_those_of_the_calls_api(traffic: Engine, scope: Scope) -> None:
    totals = shown(traffic, scope, MONTH).totals
    expected = calls_totals(traffic, scope)
    assert expected.calls > 0
    assert totals == Totals(expected.calls, expected.answered, expected.missed, expected.inbound, expected.outbound,
                            expected.internal, expected.undecided, expected.talk, totals.billable)


def _sums(found: Dashboard) -> dict[str, Any]:
    """What the days of a month must add up to."""
    t = found.totals
    return {"calls": t.calls, "answered": t.answered, "missed": t.missed, "in": t.inbound, "out": t.outbound,
            "internal": t.internal, "undecided": t.undecided, "talk": t.talk, "billable": t.billable,
            "price": {a.currency: a.micros for a in found.money.price},
            "cost": {a.currency: a.micros for a in found.money.cost or []}, "priced": found.money.priced,
            "unrated": found.money.unrated}


def _add(total: dict[str, Any], more: dict[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, dict):
            for sub, amount in value.items():
                total[key][sub] = total[key].get(sub, 0) + amount
        else:
            total[key] += value


@SLOW
@given(scope=SCOPES, zone=st.sampled_from(ZONES))
def test_a_month_is_the_sum_of_its_days(traffic: Engine, scope: Scope, zone: str) -> None:
    month = shown(traffic, scope, MONTH, zone)
    t = month.totals
    assert t.answered + t.missed == t.calls == t.inbound + t.outbound + t.internal + t.undecided > 0
    answered, missed = month.calls.series
    days = {"calls": 0, "answered": 0, "missed": 0, "in": 0, "out": 0, "internal": 0, "undecided": 0, "talk": {},
            "billable": 0, "price": {}, "cost": {}, "priced": 0, "unrated": 0}
    for k in range(MONTH.days):
        day = shown(traffic, scope, Period.day(MONTH.first + timedelta(days=k)), zone)
        assert (answered.data[k], missed.data[k]) == (day.totals.answered, day.totals.missed)
        assert sum(day.calls.series[0].data) == day.totals.answered  # type: ignore[arg-type]
        _add(days, _sums(day))
    assert days == _sums(month)


def test_the_day_the_clocks_go_back_has_25_hours(traffic: Engine) -> None:
    found = shown(traffic, Scope(), Period.day(date(2026, 10, 25)), "Europe/London")
    assert len(found.calls.labels) == 25
    assert found.calls.labels[1:3] == ["01:00 BST", "01:00 GMT"]
    # London's 25th runs from 23:00 UTC on the 24th to midnight UTC after the 25th
    eve, day = (shown(traffic, Scope(), Period.day(date(2026, 10, d)), "UTC").calls.series[0].data for d in (24, 25))
    assert found.calls.series[0].data == eve[23:] + day and sum(day) > 0


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scope=st.sets(st.sampled_from(COMPANIES), min_size=1).map(lambda s: Scope(frozenset(s))))
def test_a_scoped_dashboard_never_counts_other_companies(traffic: Engine, scope: Scope) -> None:
    before, operator = shown(traffic, scope, MONTH), shown(traffic, Scope(), MONTH)
    tenants(traffic, "_other")
    try:
        assert shown(traffic, scope, MONTH) == before
        doubled = shown(traffic, Scope(), MONTH)
        assert doubled.totals.calls == 2 * operator.totals.calls
        assert doubled.money.price[0].micros == 2 * operator.money.price[0].micros
    finally:
        with traffic.begin() as conn:
            conn.execute(cdr.delete().where(cdr.c.natkey.endswith("_other")))


def tenants(engine: Engine, suffix: str) -> None:
    """Every stored leg copied as other tenants': each company renamed (`acme_other`), its call its own."""
    def renamed(name: str) -> Any:
        column = cdr.c[name]
        return case((column.in_(COMPANIES), column + suffix), else_=column)

    copied = [c for c in cdr.columns if c.name not in ("acctid", *RENDERED_COLUMNS)]  # rendered by the store
    values = [renamed(c.name) if c.name in ("company", "target", "bill_to")
              else c + suffix if c.name in ("natkey", "call") else c for c in copied]
    with engine.begin() as conn:
        conn.execute(insert(cdr).from_select([c.name for c in copied], select(*values)))
