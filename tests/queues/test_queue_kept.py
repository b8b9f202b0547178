"""The stays kept in the store (calldata.queues.kept) and the figures read from them
(calldata.queues.figures) are stays.py's and stats.py's over the stored events, on both stores,
however the events arrived: split into batches at random places, the batches stored out of order,
some stored again. The generated queue_logs look for the corners: several stays of one caller,
events before ENTERQUEUE, answers repeated or missing, endings with too few fields, number fields
padded, empty, not numbers or too long for 64 bits, `|` inside data columns (the realtime table's),
sub-second times, other queues, a period's edges; with and without company scoping."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert

from calldata.ingest.sink import QUEUE_EVENTS
from calldata.queues.event import QueueEvent
from calldata.queues.figures import period_figures
from calldata.queues.schema import queue_event, queue_stay, queue_stay_ring
from calldata.queues.stats import figures
from calldata.queues.stays import stays
from calldata.store.schema import cdr
from queue_logs import computed_stays, kept_stays, stored_lines

START = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD = timedelta(seconds=100)
EVENTS = ("ENTERQUEUE", "ENTERQUEUE", "CONNECT", "CONNECT", "RINGNOANSWER", "RINGNOANSWER", "RINGCANCELED",
          "COMPLETEAGENT", "COMPLETECALLER", "BLINDTRANSFER", "ATTENDEDTRANSFER", "ABANDON", "EXITWITHTIMEOUT",
          "EXITEMPTY", "EXITWITHKEY", "AGENTLOGIN")
FIELDS = ("", "", "0", "3", "15", "8000", " 7 ", "\t5\n", "00", "x", "12|4", "1|2|3", "a|", "|9",
          "4|", "99999999999999999999", "-1", "1.5", "²", "٣")
CALLERS = ("1.1", "1.1", "1.1", "2.1", "3.1")


@st.composite
def event(draw: st.DrawFn) -> QueueEvent:
    seconds = draw(st.integers(-10, 110))
    micro = draw(st.sampled_from([0, 0, 0, 1, 999_999]))
    data = [draw(st.sampled_from(FIELDS)) for _ in range(draw(st.integers(0, 5)))]
    while data and not data[-1]:
        data.pop()
    return QueueEvent(time=START + timedelta(seconds=seconds, microseconds=micro),
                      callid=draw(st.sampled_from(CALLERS)),
                      queue=draw(st.sampled_from(["q1", "q1", "q1", "q1", "q2", "q3"])),
                      agent=draw(st.sampled_from(["NONE", "Bob", "Carol", ""])),
                      event=draw(st.sampled_from(EVENTS)), data=tuple(data),
                      repeat=draw(st.integers(0, 20)))  # now and then the same event twice: stored once


@st.composite
def arrivals(draw: st.DrawFn) -> list[list[QueueEvent]]:
    """A log in time order, cut into batches at random places; the batches in a random order, some twice."""
    log = sorted(draw(st.lists(event(), min_size=1, max_size=40)), key=lambda e: e.time)
    if draw(st.booleans()):
        log.insert(0, QueueEvent(time=START, callid="1.1", queue="q1", agent="NONE", event="ENTERQUEUE"))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(log) - 1)), max_size=4)))
    batches = [log[a:b] for a, b in zip([0, *cuts], [*cuts, len(log)], strict=True)]
    order = draw(st.permutations(batches))
    again = draw(st.lists(st.sampled_from(batches), max_size=2))
    return [*order, *again]


# callers' CDR legs: (uniqueid, the column naming the company, the company)
legs = st.lists(st.tuples(st.sampled_from(["1.1", "2.1", "9.9"]), st.sampled_from(["company", "target", "bill_to"]),
                          st.sampled_from(["acme", "globex"])), max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arrivals(), st.sampled_from([(), ("q1",), ("q1", "q9")]), st.integers(0, 30), legs,
       st.sampled_from([None, None, ("acme",), ("acme", "globex")]))
def test_kept_stays_and_their_figures_are_the_definitions_over_the_stored_events(
        engine: Engine, batches: list[list[QueueEvent]], queues: tuple[str, ...], level: int,
        stored: list[tuple[str, str, str]], companies: tuple[str, ...] | None) -> None:
    with engine.begin() as conn:
        for table in (queue_stay_ring, queue_stay, queue_event, cdr):
            conn.execute(delete(table))
        if stored:
            conn.execute(insert(cdr), [
                {"calldate": START, "natkey": f"leg{n}", "uniqueid": uniqueid, "company": None, "target": None,
                 "bill_to": None, column: company} for n, (uniqueid, column, company) in enumerate(stored)])
    for batch in batches:
        with engine.begin() as conn:
            QUEUE_EVENTS.store(conn, batch, ())
    assert kept_stays(engine) == computed_stays(engine)
    every = stays(stored_lines(engine))

    first, after = int(START.timestamp()), int((START + PERIOD).timestamp())
    callers = {uniqueid for uniqueid, _column, company in stored if companies is None or company in companies}
    counted = [s for s in every if first <= s.enter < after and (not queues or s.queue in queues)
               and (companies is None or s.callid in callers)]
    # the level drawn, and the waits logged: an answer exactly at the level counts
    for seconds in sorted({level, *(s.wait for s in counted if s.wait is not None and s.wait <= 3600)})[:4]:
        expected = figures(counted, seconds, queues)
        with engine.connect() as conn:
            found = period_figures(conn, START, START + PERIOD, queues, companies, seconds)
        assert json.dumps(found) == json.dumps(expected)


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_an_empty_company_list_sees_only_the_queues_named(engine: Engine) -> None:
    with engine.connect() as conn:
        assert period_figures(conn, START, START + PERIOD, ("q1",), (), 20) == figures([], 20, ("q1",))
        assert period_figures(conn, START, START + PERIOD, (), ()) == {}
