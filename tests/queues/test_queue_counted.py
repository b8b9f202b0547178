"""The figures PostgreSQL counts (calldata.queues.counted) are calldata.queues.stats's, on generated
queue_logs meant to find the corners: several stays of one caller, events before ENTERQUEUE,
answers repeated or missing, endings with too few fields, number fields padded, empty or not
numbers, `|` inside data columns (the realtime table's), sub-second times, other queues, a
period's edges; with and without company scoping through the callers' legs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, text

from calldata.queues.counted import period_figures
from calldata.queues.schema import queue_event
from calldata.reports.queues import counted_in_python
from calldata.store.schema import cdr

pytestmark = pytest.mark.postgres

START = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD = timedelta(seconds=100)
EVENTS = ("ENTERQUEUE", "ENTERQUEUE", "CONNECT", "CONNECT", "RINGNOANSWER", "RINGCANCELED", "COMPLETEAGENT",
          "COMPLETECALLER", "BLINDTRANSFER", "ATTENDEDTRANSFER", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY",
          "EXITWITHKEY", "AGENTLOGIN")
FIELDS = ("", "", "0", "3", "15", "8000", " 7 ", "\t5\n", "00", "x", "12|4", "1|2|3", "a|", "|9",
          "4|", "99999999999999999999", "-1", "1.5", "²", "٣")


@st.composite
def row(draw: st.DrawFn) -> dict[str, Any]:
    seconds = draw(st.integers(-10, 110))
    micro = draw(st.sampled_from([0, 0, 0, 1, 999_999]))
    data = [draw(st.sampled_from(FIELDS)) for _ in range(5)]
    width = draw(st.integers(0, 5))
    data[width:] = [""] * (5 - width)
    return {"time": START + timedelta(seconds=seconds, microseconds=micro),
            "callid": draw(st.sampled_from(["1.1", "1.1", "1.1", "2.1"])),
            "queue": draw(st.sampled_from(["q1", "q1", "q1", "q1", "q2", "q3"])),
            "agent": draw(st.sampled_from(["NONE", "Bob", "Carol", ""])),
            "event": draw(st.sampled_from(EVENTS)),
            **{f"data{n}": data[n - 1] for n in range(1, 6)},
            "natkey": uuid.uuid4().hex}


@pytest.fixture
def pg(_postgres_engine: Engine) -> Iterator[Engine]:
    yield _postgres_engine
    with _postgres_engine.begin() as conn:
        conn.execute(text("TRUNCATE queue_event, cdr CASCADE"))


@st.composite
def log(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Rows, most of them of one caller in one queue, often entered at the period's start."""
    rows = draw(st.lists(row(), min_size=1, max_size=40))
    if draw(st.booleans()):
        rows.insert(0, {**rows[0], "time": START, "callid": "1.1", "queue": "q1", "event": "ENTERQUEUE",
                        "natkey": uuid.uuid4().hex})
    return rows


# callers' CDR legs: (uniqueid, the column naming the company, the company)
legs = st.lists(st.tuples(st.sampled_from(["1.1", "2.1", "9.9"]), st.sampled_from(["company", "target", "bill_to"]),
                          st.sampled_from(["acme", "globex"])), max_size=3)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log(), st.sampled_from([(), ("q1",), ("q1", "q9")]), st.integers(0, 30), legs,
       st.sampled_from([None, None, ("acme",), ("acme", "globex")]))
def test_postgresql_counts_what_stats_py_counts(pg: Engine, rows: list[dict[str, Any]], queues: tuple[str, ...],
                                                level: int, stored: list[tuple[str, str, str]],
                                                companies: tuple[str, ...] | None) -> None:
    with pg.begin() as conn:
        conn.execute(text("TRUNCATE queue_event, cdr CASCADE"))
        if rows:
            conn.execute(insert(queue_event), rows)
        if stored:
            conn.execute(insert(cdr), [
                {"calldate": START, "natkey": f"leg{n}", "uniqueid": uniqueid, "company": None, "target": None,
                 "bill_to": None, column: company} for n, (uniqueid, column, company) in enumerate(stored)])
    with pg.connect() as conn:
        expected = counted_in_python(conn, START, START + PERIOD, companies, queues, level)
        found = period_figures(conn, START, START + PERIOD, queues, companies, level)
    assert json.dumps(found) == json.dumps(expected)
