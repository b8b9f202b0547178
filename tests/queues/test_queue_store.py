"""Storing queue_log events: each event once, however often it is stored."""

from __future__ import annotations

from recordings import RUNS
from sqlalchemy import Engine, func, select

from calldata.queues.event import numbered, parse_line
from calldata.queues.schema import queue_event
from calldata.queues.store import store_events

RUN2 = next(run for run in RUNS if run.name == "asterisk-real-2")


def test_events_are_stored_once(engine: Engine) -> None:
    events = list(numbered(parse_line(line) for line in (RUN2 / "all" / "queue_log").read_text().splitlines()))
    with engine.begin() as conn:
        assert store_events(conn, events[:5]) == 5
    with engine.begin() as conn:
        assert store_events(conn, events) == len(events) - 5
        assert store_events(conn, events) == 0
        stored = conn.execute(select(queue_event).where(queue_event.c.event == "ABANDON")).one()
    assert (stored.callid, stored.queue, stored.data1, stored.data2, stored.data3, stored.data4) == (
        "1795965356.0", "acme-support", "1", "1", "14", "")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(queue_event)).scalar() == len(events)
