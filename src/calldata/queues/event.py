"""One queue_log event, and how a line of Asterisk's queue_log becomes one.

Asterisk writes `epoch|callid|queuename|agent|event|data1|...|data5` (file) or the same fields
as columns (realtime table). `callid` is the caller channel's uniqueid: the join to its CDRs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

import msgspec

DATA_FIELDS = 5  # data1..data5 of the realtime table; a file line's later fields go to data5


class QueueLogError(ValueError):
    """A line no Asterisk would write; the message says what is wrong with it."""


class QueueEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One queue_log event; `repeat` tells apart identical lines written in the same second."""

    time: datetime
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...] = ()
    repeat: int = 0

    def natural_key(self) -> str:
        """The event's identity across sources and re-imports (same line -> same key)."""
        parts = [str(int(self.time.timestamp())), self.callid, self.queue, self.agent, self.event,
                 *self.data, str(self.repeat)]
        return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()

    def data_columns(self) -> tuple[str, ...]:
        """data1..data5, padded with "" (the realtime table's columns)."""
        return (*self.data, *("",) * (DATA_FIELDS - len(self.data)))


def event_time(text: str) -> datetime:
    """A queue_log time: epoch seconds (file), or `YYYY-MM-DD HH:MM:SS[.ffffff]` UTC (realtime table)."""
    value = text.strip()
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value), UTC)
        return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else _bad(text)
    except (ValueError, OverflowError, OSError):
        return _bad(text)


def _bad(text: str) -> datetime:
    raise QueueLogError(f"time: not epoch seconds or a date and time: {text!r}")


def make(time: datetime, callid: str, queue: str, agent: str, event: str, data: Iterable[str]) -> QueueEvent:
    """An event from its fields, checked: an event name is one word of capitals (ENTERQUEUE, CONNECT)."""
    name = event.strip()
    if not name or not name.replace("_", "").isalnum() or name.upper() != name:
        raise QueueLogError(f"event: not a queue_log event name: {event!r}")
    values = list(data)
    if len(values) > DATA_FIELDS:
        values[DATA_FIELDS - 1:] = ["|".join(values[DATA_FIELDS - 1:])]
    while values and values[-1] == "":
        values.pop()
    return QueueEvent(time=time, callid=callid.strip(), queue=queue.strip(), agent=agent.strip(),
                      event=name, data=tuple(values))


def parse_line(line: str) -> QueueEvent:
    """A queue_log file line (without its newline) as an event; `QueueLogError` says why not."""
    fields = line.split("|")
    if len(fields) < 5:
        raise QueueLogError(f"fewer than 5 fields (time|callid|queue|agent|event): {len(fields)}")
    return make(event_time(fields[0]), fields[1], fields[2], fields[3], fields[4], fields[5:])


class Repeats(msgspec.Struct, omit_defaults=True):
    """How often each event was seen in the recent seconds: `numbered`'s memory, kept in a live
    source's checkpoint so a restart numbers the rest of a second as an uninterrupted read would.

    `window` = 0 remembers the current second only (queue_log is written in time order); a table
    read with late rows filled in (gaps) remembers `window` seconds before the newest one seen.
    """

    window: int = 0
    newest: int = 0  # epoch second of the newest event seen
    seen: dict[int, dict[str, int]] = {}  # second -> an unnumbered event's key -> how often it was seen

    def number(self, event: QueueEvent) -> QueueEvent:
        """The event with its repeat number (0 the first time within its second)."""
        second = int(event.time.timestamp())
        if second > self.newest or (not self.window and second != self.newest):
            self.newest = second
            self.seen = {s: keys for s, keys in self.seen.items() if second - self.window <= s <= second}
        keys = self.seen.setdefault(second, {})
        key = event.natural_key()[:16]
        count = keys.get(key, 0)
        keys[key] = count + 1
        return msgspec.structs.replace(event, repeat=count) if count else event


def numbered(events: Iterable[QueueEvent]) -> Iterator[QueueEvent]:
    """The events in the order written, each identical repeat within one second numbered 1, 2...

    Lines of one second are adjacent in queue_log (it is written in time order), so only the
    current second's lines are remembered (a live source keeps its `Repeats` in its checkpoint).
    """
    return map(Repeats().number, events)
