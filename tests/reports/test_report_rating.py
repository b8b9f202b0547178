"""outcalls with rating: each priced call's cost, currency, destination and kind, the devices'
totals, unrated legs said so, nothing before rating; `recalc` prices again and no kept report
outlives it. Amounts are worked out by hand from the demo decks (see tests/rated_world.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from api.api_helpers import serving
from calldata.api.app import create_app
from calldata.auth.permissions import SYSTEM_ADMIN
from calldata.config import Settings
from calldata.reports.build import report
from calldata.reports import changes
from calldata.reports.outcalls import total_cost
from calldata.reports.request import ReportRequest
from rated_world import dearer_geographic, load_rated_world, rate_all, rated_directory
from stored_world import key_for

NOVEMBER = {"company": "acme", "year": 2026, "month": 11}
RATING_MEMBERS = {"cost", "currency", "destination", "rated"}


def outcalls(engine: Engine, company: str = "acme") -> dict[str, Any]:
    with engine.connect() as conn:
        return report(conn, "outcalls", ReportRequest((company,), 2026, 11), "UTC")


def calls_to(values: dict[str, Any], device: str, dialled: str) -> list[dict[str, Any]]:
    return [call for call in values[device]["calls"] if call["dialled"] == dialled]


def test_a_priced_call_has_its_cost_currency_destination_and_kind(engine: Engine) -> None:
    values = outcalls(load_rated_world(engine))
    # Alice's two calls to 01632 960555: 10 s each, uk-retail UK Geographic 0.0200/min billed 60/60
    assert [{k: call[k] for k in ("type", "cost", "currency", "destination")}
            for call in calls_to(values, "IAX2/acme-201", "441632960555")] == [
        {"type": "National", "cost": "0.0200", "currency": "GBP", "destination": "UK Geographic"}] * 2
    assert values["IAX2/acme-201"]["totals"] == {"calls": len(values["IAX2/acme-201"]["calls"]),
                                                 "billsecs": values["IAX2/acme-201"]["totals"]["billsecs"],
                                                 "cost": "0.0400", "currency": "GBP"}
    # Bob's 01632 960123 and 01632 960303: 0.0200 each
    assert values["IAX2/acme-202"]["totals"]["cost"] == "0.0400"
    unpriced = [call for entry in values.values() for call in entry["calls"] if "cost" not in call]
    assert unpriced and all(call["type"] in ("Internal", "External") and RATING_MEMBERS.isdisjoint(call)
                            for call in unpriced)


def test_globex_france_is_international(engine: Engine) -> None:
    values = outcalls(load_rated_world(engine), "globex")
    [france] = calls_to(values, "IAX2/globex-202", "33144556677")  # 8 s: one minute of France at 0.0400
    assert (france["type"], france["cost"], france["destination"]) == ("International", "0.0400", "France")


def test_without_decks_no_call_and_no_total_has_a_cost(world: Engine) -> None:
    values = outcalls(world)  # rated as imported, with no deck: outside calls are unrated
    calls = [call for entry in values.values() for call in entry["calls"]]
    assert calls and all({"cost", "currency", "destination"}.isdisjoint(call) for call in calls)
    # answered ones were looked at and say so; unanswered ones are no rated leg at all
    assert {call.get("rated") for call in calls if call["type"] == "External"} == {False, None}
    assert all("rated" not in call for call in calls if call["type"] == "Internal")
    assert all(set(entry["totals"]) == {"calls", "billsecs"} for entry in values.values())
    assert {call["type"] for entry in values.values() for call in entry["calls"]} == {"Internal", "External"}


def test_an_unrated_call_says_so_and_has_no_cost(engine: Engine) -> None:
    directory = rated_directory().replace("    outside_prefix: \"9\"", "    sell_deck: no-such-deck\n    outside_prefix: \"9\"", 1)
    values = outcalls(load_rated_world(engine, directory), "globex")
    [france] = calls_to(values, "IAX2/globex-202", "33144556677")
    assert france["type"] == "External" and france["rated"] is False
    assert not {"cost", "currency", "destination"} & set(france)
    assert all("cost" not in entry["totals"] for entry in values.values())


def test_totals_in_several_currencies_are_kept_apart() -> None:
    assert total_cost({"GBP": Decimal("0.0400")}) == {"cost": "0.0400", "currency": "GBP"}
    assert total_cost({"GBP": Decimal("0.0400"), "EUR": Decimal("1.10")}) == {"cost": {"EUR": "1.10", "GBP": "0.0400"}}


def test_rerating_touches_the_legs_it_priced_so_no_kept_report_is_stale(engine: Engine) -> None:
    load_rated_world(engine)
    with engine.connect() as conn:
        before = changes.current(conn)
    dearer_geographic(engine)
    rate_all(engine)
    with engine.connect() as conn:
        now = changes.current(conn)
        assert now != before
        assert not changes.untouched(conn, before, now, [(0, 2**40)])  # the re-priced legs' hours
        assert changes.untouched(conn, before, now, [(0, 86_400)])  # 1970: no leg there
    assert {call["cost"] for call in calls_to(outcalls(engine), "IAX2/acme-201", "441632960555")} == {"0.0300"}


@asynccontextmanager
async def client(store_url: str, key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(Settings(database_url=store_url, password_hash_profile="CHEAPEST")), key) as c:
        yield c


async def alice_costs(c: httpx.AsyncClient, **scope: Any) -> set[str]:
    r = await c.post("/rest/call/outcalls", json={"type": "cdr", "scope": {**NOVEMBER, **scope}})
    assert r.status_code == 200, r.text[:300]
    return {call["cost"] for call in calls_to(r.json()["values"], "IAX2/acme-201", "441632960555")}


@pytest.mark.anyio
async def test_recalc_prices_the_period_again_and_the_kept_report_is_not_answered(store_url: str, engine: Engine) -> None:
    load_rated_world(engine)
    key = key_for(engine, "admin", {SYSTEM_ADMIN: []})
    async with client(store_url, key) as c:
        assert await alice_costs(c) == {"0.0200"}
        dearer_geographic(engine)
        assert await alice_costs(c) == {"0.0200"}  # the legs keep their price until re-rated
        assert await alice_costs(c, recalc=True) == {"0.0300"}
        assert await alice_costs(c) == {"0.0300"}  # the report kept before the re-rating is gone
    assert outcalls(engine)["IAX2/acme-201"]["totals"]["cost"] == "0.0600"
