"""The generator: deterministic, every row consistent, the kinds in their proportions, shaped like Asterisk."""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest
from demo_support import DIRECTORY_YAML, STORIES, STORY_LAYOUT, Names, by_linkedid, classify, world

from calldata.attribution.channels import base_name
from calldata.attribution.directory import parse_directory
from calldata.cdr import DISPOSITIONS, Cdr
from calldata.demo.generator import DEFAULT_START, calls, generate
from calldata.demo.pbx import mix
from calldata.ingest.csvfile import read_cdrs
from calldata.ingest.layouts import LAYOUTS

START = datetime(2026, 11, 2, tzinfo=UTC)
UNIQUEID = re.compile(r"(\d+)\.(\d+)")


@pytest.fixture(scope="module")
def directory():  # type: ignore[no-untyped-def]
    return world()


@pytest.fixture(scope="module")
def names(directory) -> Names:  # type: ignore[no-untyped-def]
    return Names(directory)


@pytest.fixture(scope="module")
def rows(directory) -> list[Cdr]:  # type: ignore[no-untyped-def]
    return list(generate(directory, rows=30_000, seed=7, start=START, days=28))


def test_same_seed_same_rows_other_seed_other_rows(directory) -> None:  # type: ignore[no-untyped-def]
    first = msgspec.json.encode(list(generate(directory, rows=3000, seed=11)))
    again = msgspec.json.encode(list(generate(directory, rows=3000, seed=11)))
    other = msgspec.json.encode(list(generate(directory, rows=3000, seed=12)))
    assert first == again
    assert first != other


def test_exactly_the_rows_asked_for(directory) -> None:  # type: ignore[no-untyped-def]
    for n in (0, 1, 2, 3, 997):
        assert sum(1 for _ in generate(directory, rows=n, seed=n)) == n


def test_every_row_is_consistent(rows: list[Cdr], names: Names) -> None:
    for r in rows:
        assert r.end is not None
        assert r.start <= r.end
        assert r.duration == (r.end - r.start).total_seconds()
        assert 0 <= r.billsec <= r.duration
        assert r.disposition in DISPOSITIONS
        if r.answer is None:
            assert r.billsec == 0
        else:
            assert r.start <= r.answer <= r.end
            assert r.billsec == (r.end - r.answer).total_seconds()
        if r.disposition == "NOANSWER":
            assert r.answer is None, r
        if r.disposition == "ANSWERED":
            assert r.answer is not None, r
        assert r.amaflags == 3
        match = UNIQUEID.fullmatch(r.uniqueid)
        assert match, r.uniqueid
        assert int(match[1]) <= r.start.timestamp()  # a channel exists before its CDR starts
        assert UNIQUEID.fullmatch(r.linkedid)
        assert names.channel(r.channel) in ("device", "trunk"), r.channel
        assert names.channel(r.dstchannel) in ("device", "trunk", "none"), r.dstchannel
        assert re.fullmatch(r".+-\d+", r.channel)  # IAX2 call number suffix
        assert r.dcontext in names.context_company or r.dcontext == "park-dial", r.dcontext


def test_uniqueid_and_sequence_pairs_are_unique_and_counters_grow(rows: list[Cdr]) -> None:
    assert len({(r.uniqueid, r.sequence) for r in rows}) == len(rows)
    assert len({r.sequence for r in rows}) == len(rows)
    # Asterisk's channel counter grows with time: sorted by counter, the epochs never go back
    # by more than a call's length (a channel made later in a call carries a later epoch).
    ids = sorted({tuple(map(int, UNIQUEID.fullmatch(r.uniqueid).groups())) for r in rows}, key=lambda p: p[1])  # type: ignore[union-attr]
    assert all(b[0] >= a[0] - 7200 for a, b in zip(ids, ids[1:]))


def test_linkedids_name_a_channel_of_the_call(rows: list[Cdr]) -> None:
    uniqueids = {r.uniqueid for r in rows}
    assert {r.linkedid for r in rows} <= uniqueids


def test_a_failed_dial_is_followed_by_the_hangup_row(rows: list[Cdr]) -> None:
    hangups = [r for r in rows if r.lastapp == "Hangup"]
    dials = {(r.uniqueid, r.end): r for r in rows if r.lastapp == "Dial" and r.disposition != "ANSWERED"}
    assert len(hangups) > 100
    for h in hangups:
        assert h.dstchannel == "" and h.peeraccount == "" and h.duration == 0 and h.answer is None
        dial = dials[(h.uniqueid, h.start)]
        assert dial.disposition == h.disposition and dial.channel == h.channel and dial.dst == h.dst
    # a busy or failed dial always has one; a no-answer only when it rang to the timeout
    for r in rows:
        if r.lastapp == "Dial" and r.disposition in ("BUSY", "FAILED", "CONGESTION"):
            assert any(h.uniqueid == r.uniqueid for h in hangups)


def test_rows_are_written_when_their_call_ends(rows: list[Cdr]) -> None:
    calls_end: dict[str, datetime] = {}
    for r in rows:
        assert r.end is not None
        calls_end[r.linkedid] = max(calls_end.get(r.linkedid, r.end), r.end)
    order = []
    for r in rows:
        if not order or order[-1] != r.linkedid:
            order.append(r.linkedid)
    # the rows of a call come together, and calls come out in the order they end
    assert len(order) == len(set(order))
    ends = [calls_end[link] for link in order]
    assert ends == sorted(ends)


def test_calls_follow_office_hours_on_weekdays(rows: list[Cdr]) -> None:
    starts = [r.start for r in rows]
    assert min(starts) >= START and max(starts) < START + timedelta(days=28, hours=3)
    weekday_office = sum(1 for s in starts if s.weekday() < 5 and 8 <= s.hour < 18)
    weekend = sum(1 for s in starts if s.weekday() >= 5)
    night = sum(1 for s in starts if s.hour < 6)
    assert weekday_office / len(starts) > 0.75
    assert 0.005 < weekend / len(starts) < 0.08
    assert night / len(starts) < 0.03
    per_day = Counter(s.date() for s in starts)
    assert len(per_day) == 28  # every day has calls, weekends too


def test_office_hours_are_the_pbx_time_zone(directory) -> None:  # type: ignore[no-untyped-def]
    text = DIRECTORY_YAML.read_text().replace("timezone: UTC", "timezone: Asia/Tokyo")
    tokyo = parse_directory(text)
    zone = ZoneInfo("Asia/Tokyo")
    starts = [r.start.astimezone(zone) for r in generate(tokyo, rows=5000, seed=1, start=START, days=7)]
    assert sum(1 for s in starts if 8 <= s.hour < 18) / len(starts) > 0.75


def test_kinds_appear_in_their_proportions(directory, names: Names) -> None:  # type: ignore[no-untyped-def]
    made = list(calls(directory, rows=40_000, seed=3, start=START))
    seen: Counter[str] = Counter()
    for call in made:
        assert classify(call.rows, names) == call.kind, call
        seen[call.kind] += 1
    shares = mix(directory)
    assert set(seen) == set(shares)  # the example PBX can make every kind
    total = len(made)
    for kind, share in shares.items():
        expected = total * share
        assert abs(seen[kind] - expected) <= 5 * math.sqrt(expected * (1 - share)) + 3, (kind, seen[kind], expected)


def test_recording_users_have_every_outbound_call_recorded(rows: list[Cdr], names: Names) -> None:
    by_user: dict[str, set[bool]] = {}
    for r in rows:
        dialled_out = names.extension_type(r.dcontext, r.dst) == "number"  # not a forward
        if names.channel(r.channel) == "device" and names.channel(r.dstchannel) == "trunk" and dialled_out:
            by_user.setdefault(base_name(r.channel), set()).add(bool(r.userfield))
    assert {True} in by_user.values() and {False} in by_user.values()  # a user records all or nothing
    assert all(len(flags) == 1 for flags in by_user.values()), by_user
    recorded = [r for r in rows if r.userfield and r.lastapp == "Dial"]  # (the Hangup rows carry it too)
    assert recorded
    for r in recorded:
        match = re.fullmatch(r"call_rec=(\w+)-(\d{8}-\d{6})-(\d+)-(\d+)\.wav", r.userfield)
        assert match, r.userfield
        assert match[1] == r.accountcode and match[3] == r.src
        assert match[2] == r.start.strftime("%Y%m%d-%H%M%S")  # the example PBX keeps UTC
        assert f"/{match[4]}," in r.lastdata


def test_outbound_calls_leave_through_the_company_trunk_without_the_outside_prefix(rows: list[Cdr], directory) -> None:  # type: ignore[no-untyped-def]
    outbound = [r for r in rows if r.lastapp == "Dial" and r.dstchannel and r.accountcode in directory.companies
                and r.dst.isdigit() and len(r.dst) > 6 and r.dst != r.src]
    assert len(outbound) > 1000
    for r in outbound:
        company = directory.companies[r.accountcode]
        trunk = "IAX2/globexgw" if r.accountcode == "globex" else "IAX2/carrier1"
        assert r.dstchannel.startswith(trunk + "-")
        assert r.lastdata.startswith(f"{trunk}/{r.dst.removeprefix(company.outside_prefix)},60,")
        assert r.dst.startswith(company.outside_prefix)


def test_every_recorded_story_has_a_generated_call_of_its_shape(directory, names: Names) -> None:  # type: ignore[no-untyped-def]
    generated = {names.call_shape(group) for group in by_linkedid(generate(directory, rows=40_000, seed=2)).values()}
    stories = sorted(p for p in STORIES.iterdir() if p.name[0].isdigit())
    assert len(stories) >= 20
    for story in stories:
        with (story / "Master.csv").open("rb") as f:
            recorded = [p.result for p in read_cdrs(f, LAYOUTS[STORY_LAYOUT], UTC)]
        for group in by_linkedid(recorded).values():
            assert names.call_shape(group) in generated, story.name


def test_default_start_is_fixed(directory) -> None:  # type: ignore[no-untyped-def]
    first = next(iter(generate(directory, rows=50, seed=0)))
    assert DEFAULT_START <= first.start < DEFAULT_START + timedelta(days=28)


def test_a_directory_without_users_cannot_make_calls() -> None:
    empty = parse_directory("companies:\n  x:\n    name: X\n    contexts: [x]\n")
    with pytest.raises(ValueError, match="no company"):
        list(generate(empty, rows=10))
