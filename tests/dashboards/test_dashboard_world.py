"""Dashboards of the recorded runs (rated), on both stores, with every figure worked out by hand.

The 80 legs are 47 calls on Sunday 2026-11-29, UTC (the display zone here): run 1 (20 calls)
at 02:02-02:11, run 2 (22) at 15:15-15:22, run 3 (5) at 16:02-16:06. Numbering the calls
c1.. in the order of the runs' folders (tests/data/asterisk-real*/):

- Missed (no leg answered): c2 201->203 no answer, c3 201->202 busy, c4 201->203 unavailable,
  c18 201 out through carrier1, congestion (all 02:00); c21 the caller who gave up in queue 270
  (15:00). Every other call has an answered leg, the IVR hang-up (c10) and the voicemail (c47)
  included (as calldata.calls.build.outcome says).
- Directions are the first leg's: inbound when its caller is of no company (an outside caller on
  a shared trunk): 02:00 c8 c9 c10 c11 c13 c16, 15:00 c21 c22 c25 c27 c30 c37 c38 c40 c41, 16:00
  c45 c46 c47 = 18. Outbound when it rang nobody of a company (an outside number): 02:00 c5 c6 c7
  c15 (Acme's remote dial-in) c18 c19, 15:00 c26 c34 c36 c39, 16:00 c44 = 11. The other 18 are
  internal; among them c31 (Globex dials Acme's DDI through its gateway: the leg's target is Acme)
  and c32 (the same call arriving at Acme: its caller's number is Globex's DDI, so its company is
  Globex).
- Acme sees the calls with a leg whose company, target or bill_to is acme: all but Globex's own
  c6 c7 c17 c35 c36 c37 = 41: inbound 18 - 1 (c37) = 17, outbound 11 - 3 (c6 c7 c36) = 8,
  internal 16 (c31 and c32 included).
- Globex sees c6 c7 c17 c31 c32 c35 c36 c37 = 8: outbound c6 c7 c36, internal c17 c31 c32 c35,
  inbound c37; all answered.

Billed legs (bill_to, out through a trunk; rated_world's deck rows: uk-retail 60/60, GBP 0.0200
a minute geographic, 0.0400 UK mobile at the weekend and France; carrier1's cost per second,
0.0060 / 0.0100 a minute, 4 decimals; globexgw has no buy deck, so Globex's legs are unrated):

| leg | hour | bill_to | number | billsec | price | cost |
|---|---|---|---|---|---|---|
| 8 | 02 | acme | 441632960123 | 10 | 0.02 | 0.0010 |
| 9 | 02 | globex | 441632960123 | 10 | 0.02 | - |
| 10 | 02 | globex | 33144556677 | 8 | 0.04 | - |
| 19 | 02 | acme | 447700900123 | 11 | 0.04 | 0.0018 |
| 24 | 02 | acme | 441632960999 | 11 | 0.02 | 0.0011 |
| 25 | 02 | acme | 447700900456 | 13 | 0.04 | 0.0022 |
| 27 | 02 | acme | 441632960777 | 0 (congestion) | - | - |
| 29 | 02 | acme | 441632960555 | 10 | 0.02 | 0.0010 |
| 52 | 15 | acme | 441632960555 | 10 | 0.02 | 0.0010 |
| 62 | 15 | globex | 441908276651 | 8 | 0.02 | - |
| 63 | 15 | globex | 441632960202 | 3 | 0.02 | - |
| 64 | 15 | acme | 441632960101 | 4 | 0.02 | 0.0004 |
| 73 | 15 | acme | 441632960303 | 9 | 0.02 | 0.0009 |
| 75 | 16 | acme | 441632960042 | 10 | 0.02 | 0.0010 |

Acme: 55 + 23 + 10 = 88 s, price 0.14 + 0.06 + 0.02 = 0.22, cost 0.0104 (9 legs priced).
Globex: 18 + 11 = 29 s, price 0.10, 4 legs unrated. Every company: 117 s, 0.32.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import msgspec
import pytest
from sqlalchemy import Engine, insert, select

from calldata.dashboards.build import dashboard
from calldata.dashboards.figures import Amount, Chart, Dashboard, Money, Series
from calldata.dashboards.period import Period
from calldata.dashboards.query import Scope
from calldata.store.schema import cdr

DAY = Period.day(date(2026, 11, 29))
UTC = ZoneInfo("UTC")
OPERATOR, ACME, GLOBEX = Scope(), Scope(frozenset({"acme"})), Scope(frozenset({"globex"}))


def shown(engine: Engine, scope: Scope, period: Period = DAY, **options: bool | int) -> Dashboard:
    with engine.connect() as conn:
        return dashboard(conn, scope, period, UTC, **options)  # type: ignore[arg-type]


def hours(**found: int) -> list[int]:
    """A day's 24 hourly values, zero but for those named (`h02=16`)."""
    values = [0] * 24
    for name, value in found.items():
        values[int(name[1:])] = value
    return values


def test_calls_by_hour_outcome_and_direction(rated_world: Engine) -> None:
    expected = {  # scope: (answered per hour, missed per hour, calls, inbound, outbound, internal)
        OPERATOR: (hours(h02=16, h15=21, h16=5), hours(h02=4, h15=1), 47, 18, 11, 18),
        ACME: (hours(h02=13, h15=18, h16=5), hours(h02=4, h15=1), 41, 17, 8, 16),
        GLOBEX: (hours(h02=3, h15=5), hours(), 8, 1, 3, 4),
    }
    for scope, (answered, missed, calls, inbound, outbound, internal) in expected.items():
        found = shown(rated_world, scope)
        assert found.calls == Chart([f"{h:02d}:00" for h in range(24)],
                                    [Series("answered", "calls", answered), Series("missed", "calls", missed)])
        totals = found.totals
        assert (totals.calls, totals.answered, totals.missed) == (calls, sum(answered), sum(missed)), scope
        assert (totals.inbound, totals.outbound, totals.internal) == (inbound, outbound, internal), scope


def test_billable_minutes_and_amounts(rated_world: Engine) -> None:
    acme = shown(rated_world, ACME, show_cost=True)
    assert acme.totals.billable == 88
    assert acme.money == Money([Amount("GBP", 220_000)], [Amount("GBP", 10_400)], priced=9, unrated=0)
    assert acme.spend == Chart(acme.calls.labels, [Series("price", "GBP", hours(h02=140_000, h15=60_000, h16=20_000))])
    billable = next(s for s in acme.minutes.series if s.name == "billable")
    assert billable.data == hours(h02=0.9, h15=0.4, h16=0.2)  # 55, 23 and 10 s  # type: ignore[arg-type]

    globex = shown(rated_world, GLOBEX, show_cost=True)
    assert globex.totals.billable == 29
    assert globex.money == Money([Amount("GBP", 100_000)], [], priced=4, unrated=4)  # no buy deck: no cost

    operator = shown(rated_world, OPERATOR, show_cost=True)
    assert operator.totals.billable == 117
    assert operator.money == Money([Amount("GBP", 320_000)], [Amount("GBP", 10_400)], priced=13, unrated=4)
    assert shown(rated_world, ACME).money.cost is None  # a company's users see prices, not carriers' costs


def test_talk_minutes_follow_the_calls_directions(rated_world: Engine) -> None:
    """Talk per direction sums to the calls' talk (checked against calls.build in test_dashboard_calls)."""
    found = shown(rated_world, GLOBEX)
    # out c6 10 s, c7 8 s, c36 3 s; internal c17 8 s, c31 8 s, c32 8 s, c35 7 s; in c37 8 s (each call one
    # answered leg, talking until its end: its billsec)
    assert found.totals.talk == {"inbound": 8, "outbound": 21, "internal": 31}


def test_top_destinations_most_called_first(rated_world: Engine) -> None:
    found = shown(rated_world, ACME)
    numbers = ["441632960555", "441632960042", "441632960101", "441632960123", "441632960303", "441632960777",
               "441632960999", "447700900123", "447700900456"]
    assert found.destinations.labels == [
        n if n == "441632960777" else f"{n} {'UK Mobile' if n.startswith('447') else 'UK Geographic'}" for n in numbers]
    calls, minutes, price = found.destinations.series
    assert calls == Series("calls", "calls", [2, 1, 1, 1, 1, 1, 1, 1, 1])
    assert minutes == Series("billable", "minutes", [0.3, 0.2, 0.1, 0.2, 0.1, 0.0, 0.2, 0.2, 0.2])
    # the congested attempt (leg 27) was never rated: no price to draw
    assert price == Series("price", "GBP", [40_000, 20_000, 20_000, 20_000, 20_000, None, 20_000, 40_000, 40_000])
    assert shown(rated_world, ACME, top=2).destinations.labels == [f"{n} UK Geographic" for n in numbers[:2]]


def test_busiest_extensions_placed_and_rung(rated_world: Engine) -> None:
    """Acme 201 placed c1-c4 c12 c14 c18-c20 c23 c24 c26 c28 c29 c33 c42 on IAX2 and c43 on PJSIP (17)
    and was rung in c8 c11 c13 c22 c25 c27 c30 c32 c38 c40, c45 c46 (12); 202 placed c5 c20 c23 c24
    c28 c39 c44 (7), rung in 19; 203 placed c14 c28 c34 (3), rung in 14. Globex's 201 (Homer) placed
    c6 c17 c31 c35 and was rung in c37; 202 (Marge) placed c7 c36 and was rung in c17 c35."""
    acme = shown(rated_world, ACME).extensions
    assert acme == Chart(["201 Alice", "202 Bob", "203 Carol"],
                         [Series("placed", "calls", [17, 7, 3]), Series("received", "calls", [12, 19, 14])])
    globex = shown(rated_world, GLOBEX).extensions  # c32 rang Acme's 201 on a leg of Globex's company: not Globex's
    assert globex == Chart(["201 Homer", "202 Marge"],
                           [Series("placed", "calls", [4, 2]), Series("received", "calls", [1, 2])])
    operator = shown(rated_world, OPERATOR).extensions
    assert operator.labels == ["acme 201 Alice", "acme 202 Bob", "acme 203 Carol", "globex 201 Homer",
                               "globex 202 Marge"]
    assert shown(rated_world, OPERATOR, top=1).extensions.labels == ["acme 201 Alice"]


def test_another_day_has_nothing(rated_world: Engine) -> None:
    found = shown(rated_world, OPERATOR, Period.day(date(2026, 11, 28)))
    assert found.totals.calls == 0 and found.calls.series[0].data == [0] * 24
    assert found.destinations == Chart([], [Series("calls", "calls", []), Series("billable", "minutes", [])])
    assert found.money == Money([], None, 0, 0) and found.spend.series == []


def test_the_month_in_another_zone(rated_world: Engine) -> None:
    """In Pacific/Auckland (UTC+13 in November) the runs fall on Sunday 29 at 15:02-15:11 and on
    Monday 30 at 04:15-05:06: the month's days 29 and 30 hold 20 and 27 calls."""
    with rated_world.connect() as conn:
        found = dashboard(conn, OPERATOR, Period.month(2026, 11), ZoneInfo("Pacific/Auckland"))
    assert found.period == "2026-11" and len(found.calls.labels) == 30 and found.calls.labels[-1] == "2026-11-30"
    answered, missed = found.calls.series
    assert answered.data[28:] == [16, 26] and missed.data[28:] == [4, 1] and sum(answered.data[:28]) == 0
    assert found.totals.calls == 47


def test_a_call_counts_on_the_day_it_started(rated_world: Engine) -> None:
    """c13 (an outside caller to Acme's 201, transferred out to a mobile: legs 18 and 19, 7 s apart)
    copied to start 5 s before midnight: the call is the 29th's, its second leg's billed seconds
    the 30th's (legs are billed by their own start, as on a statement)."""
    shift = datetime(2026, 11, 29, 23, 59, 55, tzinfo=UTC) - datetime(2026, 11, 29, 2, 7, 15, tzinfo=UTC)
    with rated_world.begin() as conn:
        legs = [dict(row._mapping) for row in conn.execute(select(cdr).where(cdr.c.call == "1795918035.58"))]
        assert len(legs) == 2
        for leg in legs:
            del leg["acctid"]
            leg |= {"natkey": leg["natkey"] + "+late", "call": "late"}
            leg |= {name: leg[name] + shift for name in ("calldate", "answer", "end")}
        conn.execute(insert(cdr), legs)
    first, second = (shown(rated_world, ACME, Period.day(date(2026, 11, d))) for d in (29, 30))
    assert (first.totals.calls, first.totals.inbound, second.totals.calls) == (42, 18, 0)
    assert first.calls.series[0].data[23] == 1
    assert (first.totals.billable, second.totals.billable) == (88, 11)
    assert shown(rated_world, ACME, Period.month(2026, 11)).totals.calls == 42


def test_a_period_longer_than_the_calls_key_allows_is_refused(rated_world: Engine) -> None:
    """calls_statement packs a leg's start in seconds into 23 bits of a 64-bit key: 97 days at most
    (read live; stored days are read a day at a time)."""
    assert shown(rated_world, OPERATOR, Period(date(2026, 9, 1), 96), live=True).totals.calls == 47
    with pytest.raises(ValueError, match="at most 96 days"):
        shown(rated_world, OPERATOR, Period(date(2026, 9, 1), 97), live=True)


def test_a_dashboard_goes_to_json_and_back(rated_world: Engine) -> None:
    found = shown(rated_world, ACME, show_cost=True)
    assert msgspec.json.decode(msgspec.json.encode(found), type=Dashboard) == found
    nobody = shown(rated_world, Scope(frozenset()))  # a user granted no company sees nothing
    assert nobody.totals.calls == 0 and nobody.extensions.labels == [] and nobody.money.price == []
