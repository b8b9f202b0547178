"""The demo's queue calls come with their queue_log: consistent with their CDRs, the same for a
seed, written beside Master.csv by `calldata generate` and stored by `calldata demo`."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from calldata.attribution.directory import parse_directory
from calldata.demo.demo import EXAMPLE_DIRECTORY, store_queue_log
from calldata.demo.generator import calls, generate
from calldata.demo.queue_log import write_queue_log
from calldata.queues.event import QueueEvent, numbered, parse_line
from calldata.queues.stats import figures
from calldata.queues.stays import lines, stays
from calldata.queues.schema import queue_event
from sqlalchemy import Engine, func, select

START = datetime(2026, 11, 2, tzinfo=UTC)


def world():  # type: ignore[no-untyped-def]
    return parse_directory(EXAMPLE_DIRECTORY.read_text(), str(EXAMPLE_DIRECTORY))


def test_each_queue_call_logs_what_its_cdr_shows() -> None:
    names = {device: ext.name for company in world().companies.values() for ext in company.extensions.values()
             for device in ext.devices}
    made = [call for call in calls(world(), rows=20_000, seed=5, start=START, days=7) if call.kind.startswith("queue")]
    assert {call.kind for call in made} == {"queue", "queue_abandon"}
    for call in made:
        (row,) = call.rows
        events = {event.event: event for event in call.events}
        assert {event.callid for event in call.events} == {row.uniqueid}
        assert events["ENTERQUEUE"].time == row.start and row.lastapp == "Queue"
        assert all(event.queue == row.dst for event in call.events)
        ends = [e for e in call.events if e.event in ("COMPLETEAGENT", "COMPLETECALLER", "ABANDON", "EXITWITHTIMEOUT")]
        assert len(ends) == 1 and ends[0].time == row.end
        if call.kind == "queue":
            connect = events["CONNECT"]
            assert names[row.dstchannel.rsplit("-", 1)[0]] == connect.agent  # the member on the CDR answered
            assert int(ends[0].data[0]) == int(connect.data[0]) == int((connect.time - row.start).total_seconds())
            assert int(ends[0].data[1]) == int((row.end - connect.time).total_seconds())
        else:
            assert row.dstchannel == "" and ("ABANDON" in events or "EXITWITHTIMEOUT" in events)
    found = figures(stays(lines(event for call in made for event in call.events)))
    offered = sum(queue["offered"] for queue in found.values())
    answered = sum(queue["answered"] for queue in found.values())
    left = sum(queue["abandoned"] + queue["timeout"] for queue in found.values())
    assert (offered, answered, left) == (len(made), sum(c.kind == "queue" for c in made),
                                         sum(c.kind == "queue_abandon" for c in made))


def test_the_same_seed_gives_the_same_log_and_the_log_changes_no_cdr() -> None:
    first: list[QueueEvent] = []
    again: list[QueueEvent] = []
    rows = list(generate(world(), rows=5000, seed=8, queue_log=first))
    assert rows == list(generate(world(), rows=5000, seed=8, queue_log=again)) == list(generate(world(), rows=5000, seed=8))
    assert first == again and first


def test_the_file_reads_back_as_the_events_and_storing_twice_adds_nothing(engine: Engine) -> None:
    events: list[QueueEvent] = []
    list(generate(world(), rows=3000, seed=2, queue_log=events))
    out = io.StringIO()
    assert write_queue_log(events, out) == len(events)
    parsed = list(numbered(parse_line(line) for line in out.getvalue().splitlines()))
    assert sorted(parsed, key=QueueEvent.natural_key) == sorted(numbered(events), key=QueueEvent.natural_key)
    assert store_queue_log(engine, events) == len(events) and store_queue_log(engine, events) == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(queue_event)).scalar() == len(events)
