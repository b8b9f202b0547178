"""Repeats: numbering identical events of one second, carried across a checkpoint."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from calldata.queues.event import Repeats, make, numbered

SECOND = datetime(2026, 11, 29, 15, 0, 0, tzinfo=UTC)
BUSY = make(SECOND, "1.0", "q", "Bob", "RINGNOANSWER", ["0"])
LATER = make(SECOND.replace(second=1), "1.0", "q", "Bob", "RINGNOANSWER", ["0"])


def test_the_count_survives_a_checkpoint() -> None:
    repeats = Repeats()
    assert repeats.number(BUSY).repeat == 0
    saved = msgspec.json.encode(repeats)
    again = msgspec.json.decode(saved, type=Repeats)
    assert again.number(BUSY).repeat == 1  # as if never stopped
    assert Repeats().number(BUSY).repeat == 0  # without it: the same key as the first


def test_a_window_numbers_a_late_row_of_an_earlier_second() -> None:
    repeats = Repeats(window=30)
    assert [repeats.number(e).repeat for e in (BUSY, LATER, BUSY, LATER)] == [0, 0, 1, 1]
    assert [e.repeat for e in numbered([BUSY, LATER, BUSY])] == [0, 0, 0]  # a file: the current second only


def test_times_within_one_second_are_one_second() -> None:
    """A realtime table's microseconds: two identical events of one second are repeats, not one key."""
    a = make(SECOND.replace(microsecond=100), "1.0", "q", "Bob", "RINGNOANSWER", ["0"])
    b = make(SECOND.replace(microsecond=900_000), "1.0", "q", "Bob", "RINGNOANSWER", ["0"])
    first, second = numbered([a, b])
    assert first.natural_key() != second.natural_key()
