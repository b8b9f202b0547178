"""queue_log lines as Asterisk writes them, and the ones it never would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from recordings import RUNS

from calldata.queues.event import QueueLogError, make, numbered, parse_line

RUN2 = next(run for run in RUNS if run.name == "asterisk-real-2")


def test_every_line_of_the_second_run_parses() -> None:
    lines = (RUN2 / "all" / "queue_log").read_text().splitlines()
    events = [parse_line(line) for line in lines]
    assert len(events) == 14
    start = events[0]
    assert (start.callid, start.event, start.data) == ("NONE", "QUEUESTART", ())
    abandon = events[4]
    assert abandon.time == datetime(2026, 11, 29, 15, 16, 12, tzinfo=UTC)
    assert (abandon.callid, abandon.queue, abandon.agent, abandon.event) == (
        "1795965356.0", "acme-support", "NONE", "ABANDON")
    assert abandon.data == ("1", "1", "14")
    enter = events[1]
    assert enter.data == ("", "07700900011", "1")  # an empty url field is kept in its place
    assert enter.data_columns() == ("", "07700900011", "1", "", "")


def test_a_realtime_table_time_and_a_long_line() -> None:
    event = parse_line("2026-11-29 15:16:12.5|1.2|q|Bob|CONNECT|1|2|3|4|5|6|7")
    assert event.time == datetime(2026, 11, 29, 15, 16, 12, 500000, tzinfo=UTC)
    assert event.data == ("1", "2", "3", "4", "5|6|7")


@pytest.mark.parametrize(("line", "reason"), [
    ("1795965358|1.0|q|NONE", "fewer than 5 fields"),
    ("yesterday|1.0|q|NONE|ENTERQUEUE", "time:"),
    ("99999999999999999999|1.0|q|NONE|ENTERQUEUE", "time:"),
    ("1795965358|1.0|q|NONE|enter queue", "event:"),
    ("1795965358|1.0|q|NONE|", "event:"),
])
def test_a_line_no_asterisk_writes_says_why(line: str, reason: str) -> None:
    with pytest.raises(QueueLogError, match=reason):
        parse_line(line)


def test_identical_lines_of_one_second_get_their_own_key() -> None:
    second = datetime(2026, 11, 29, 15, 0, 0, tzinfo=UTC)
    busy = make(second, "1.0", "q", "Bob", "RINGNOANSWER", ["0"])
    later = make(datetime(2026, 11, 29, 15, 0, 1, tzinfo=UTC), "1.0", "q", "Bob", "RINGNOANSWER", ["0"])
    events = list(numbered([busy, busy, later, busy]))
    assert [e.repeat for e in events] == [0, 1, 0, 0]
    keys = [e.natural_key() for e in events]
    assert keys[0] != keys[1] and keys[0] != keys[2]
    assert keys[3] == keys[0]  # a new second starts the count again: the same line, the same key
