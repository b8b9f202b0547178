"""The call browser's query on the recorded runs: each filter against the calls worked out from
their legs, every page boundary, the scan bound's "search further", on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from calldata.calls import browse
from calldata.calls.browse import CallFilter, direction, page
from calldata.calls.page import built
from stored_calls import legs_by_call, newest_first

UTC = ZoneInfo("UTC")


def every(engine: Engine, filt: CallFilter, size: int, companies: Any = None) -> tuple[list[str], int]:
    """All the ids the browser gives, page after page (and search after search); how many pages."""
    ids: list[str] = []
    cursor, pages = None, 0
    with engine.connect() as conn:
        while True:
            found = page(conn, filt, companies, cursor, False, size, UTC)
            pages += 1
            ids += [call["call"] for call in found.calls]
            cursor = found.after or found.searched_to
            if cursor is None:
                return ids, pages


@pytest.mark.parametrize("way", browse.DIRECTIONS)
def test_direction_in_sql_is_the_python_rule(world: Engine, way: str) -> None:
    calls = legs_by_call(world)
    wanted = newest_first(calls, lambda mine: direction(mine[0].company, mine[0].target) == way)
    assert wanted and every(world, CallFilter(direction=way), 7)[0] == wanted


def test_filters_match_the_legs(world: Engine) -> None:
    calls = legs_by_call(world)
    cases = {
        CallFilter(company="globex"): lambda mine: any("globex" in (l.company, l.target, l.bill_to) for l in mine),
        CallFilter(extension="203"): lambda mine: any("203" in (l.src_ext, l.dial_short) for l in mine),
        CallFilter(number="7700900"): lambda mine: any("7700900" in f"{l.src}|{l.dst}|{l.dial_full}" for l in mine),
    }
    for filt, keep in cases.items():
        wanted = newest_first(calls, keep)
        assert wanted and every(world, filt, 5)[0] == wanted, filt
    oldest = CallFilter(company="globex", newest_first=False)
    assert every(world, oldest, 3)[0] == newest_first(calls, cases[CallFilter(company="globex")])[::-1]


def test_outcomes_are_the_built_calls_outcomes(world: Engine) -> None:
    with world.connect() as conn:
        calls = built(conn, newest_first(legs_by_call(world)), UTC, None, {})
    for outcome in ("busy", "no answer", "answered", "missed"):
        wanted = [c["call"] for c in calls if (c["outcome"] != "answered" if outcome == "missed" else c["outcome"] == outcome)]
        assert wanted and every(world, CallFilter(outcome=outcome), 2)[0] == wanted, outcome


def test_a_bounded_scan_says_where_it_stopped_and_searching_on_finds_the_rest(
        world: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = legs_by_call(world)
    wanted = newest_first(calls, lambda mine: any("globex" in (l.company, l.target, l.bill_to) for l in mine))
    monkeypatch.setattr(browse, "SCAN", 4)  # most stretches of 4 calls hold no Globex call
    with world.connect() as conn:
        first = page(conn, CallFilter(company="globex"), None, None, False, 50, UTC)
    assert first.searched_to is not None and first.after is None and len(first.calls) < len(wanted)
    ids, pages = every(world, CallFilter(company="globex"), 50)
    assert ids == wanted and pages >= len(calls) // 4


def test_a_scoped_reader_sees_only_calls_with_their_legs_and_only_those_legs(world: Engine) -> None:
    calls = legs_by_call(world)
    mine = newest_first(calls, lambda legs_: any("globex" in (l.company, l.target, l.bill_to) for l in legs_))
    assert every(world, CallFilter(), 4, {"globex"})[0] == mine
    with world.connect() as conn:
        found = page(conn, CallFilter(), {"globex"}, None, False, 100, UTC)
    for call in found.calls:
        assert set(call["legs"]) == {l.acctid for l in calls[call["call"]] if "globex" in (l.company, l.target, l.bill_to)}
    with world.connect() as conn:
        assert page(conn, CallFilter(), frozenset(), None, False, 10, UTC).calls == []
