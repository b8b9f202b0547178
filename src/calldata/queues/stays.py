"""A caller's stays in queues, read from its queue_log events (pure): when it entered, how it left.

Asterisk logs one `ENTERQUEUE` per entry and then, for that callid and queue, the members rung
(`RINGNOANSWER`, `RINGCANCELED`), the answer (`CONNECT`) and its end (`COMPLETEAGENT`,
`COMPLETECALLER`, `BLINDTRANSFER`, `ATTENDEDTRANSFER`), or the caller leaving unanswered
(`ABANDON`, `EXITWITHTIMEOUT`, `EXITEMPTY`, `EXITWITHKEY`). Field layouts are app_queue.c's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from calldata.queues.event import QueueEvent

ENTER = "ENTERQUEUE"
CONNECT = "CONNECT"
# events that end a stay unanswered -> the stay's outcome (docs/queues.md)
LEFT = {"ABANDON": "abandon", "EXITWITHTIMEOUT": "timeout", "EXITEMPTY": "exitempty", "EXITWITHKEY": "exitkey"}
# events that end an answered stay; their last three fields are holdtime|calltime|origposition
ENDED = ("COMPLETEAGENT", "COMPLETECALLER", "BLINDTRANSFER", "ATTENDEDTRANSFER")
TRANSFERS = ("BLINDTRANSFER", "ATTENDEDTRANSFER")
RING_NO_ANSWER = "RINGNOANSWER"
RINGS = (RING_NO_ANSWER, "RINGCANCELED")
ANSWERED = "answered"
ABANDON = LEFT["ABANDON"]
WAITING = "waiting"  # entered, no outcome logged (yet)
OUTCOMES = (ANSWERED, *LEFT.values(), WAITING)


class Line(NamedTuple):
    """A queue_log event as stays are read from it: `time` in epoch seconds (as the store's
    queries give it, and cheaper than a datetime per event)."""

    time: int
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]


def lines(events: Iterable[QueueEvent]) -> Iterator[Line]:
    """Parsed events (calldata.queues.event) as Lines."""
    for e in events:
        yield Line(int(e.time.timestamp()), e.callid, e.queue, e.agent, e.event, e.data)


@dataclass(slots=True)
class Stay:
    """One entry of a caller (`callid` = its CDR uniqueid) into a queue; times in epoch seconds."""

    callid: str
    queue: str
    enter: int
    end: int  # the last event's time so far
    outcome: str = WAITING
    wait: int | None = None  # seconds waited: until answered (holdtime) or until it left unanswered
    agent: str = ""  # the member who answered
    talk: int | None = None  # seconds the answered call lasted (calltime), once it ended
    transferred: bool = False  # the member transferred the caller out of the queue
    # member rung and not connected -> [RINGNOANSWER over 0 ms, RINGNOANSWER|0 (busy or unreachable)];
    # a RINGCANCELED names the member with nothing added (no one's fault)
    rung: dict[str, list[int]] = field(default_factory=dict)


WHITESPACE = " \t\n\r\x0b\x0c"  # ASCII's: what a number field may be padded with


def number(text: str) -> int | None:
    """A queue_log number field (ASCII digits), or None when it is not one (an older Asterisk's layout)."""
    value = text.strip(WHITESPACE)
    return int(value) if value.isascii() and value.isdigit() else None


def fields(event: Line) -> list[str]:
    """Every data field as logged: data5 holds the rest joined by `|` (calldata.queues.event)."""
    return [*event.data[:-1], *event.data[-1].split("|")] if event.data else []


def _apply(stay: Stay, event: Line) -> None:
    """Add one event of the stay's callid and queue to it."""
    values = fields(event)
    at = event.time
    stay.end = max(stay.end, at)
    if event.event in RINGS:
        tally = stay.rung.setdefault(event.agent, [0, 0])
        if event.event == RING_NO_ANSWER:
            tally[0 if ((number(values[0]) if values else None) or 0) > 0 else 1] += 1
    elif event.event == CONNECT:
        held = number(values[0]) if values else None
        stay.outcome, stay.agent, stay.wait = ANSWERED, event.agent, at - stay.enter if held is None else held
    elif event.event in ENDED and len(values) >= 3:
        stay.talk = number(values[-2])
        stay.transferred = event.event in TRANSFERS
        if stay.outcome != ANSWERED:  # the CONNECT line is missing: the end still says who and how long
            held = number(values[-3])
            stay.outcome, stay.agent, stay.wait = ANSWERED, event.agent, at - stay.enter if held is None else held
    elif event.event in LEFT and stay.outcome == WAITING:
        waited = number(values[-1]) if values else None
        stay.outcome, stay.wait = LEFT[event.event], at - stay.enter if waited is None else waited


def stays(events: Iterable[Line]) -> list[Stay]:
    """The stays the events describe, in the order they were entered.

    Events are taken in the order given (time order, as logged); an event of a callid and queue
    before its first ENTERQUEUE (the log began mid-call) belongs to no stay.
    """
    current: dict[tuple[str, str], Stay] = {}
    found: list[Stay] = []
    for event in events:
        key = (event.callid, event.queue)
        if event.event == ENTER:
            current[key] = stay = Stay(event.callid, event.queue, event.time, event.time)
            found.append(stay)
        elif key in current:
            _apply(current[key], event)
    found.sort(key=lambda s: s.enter)
    return found


QUEUE_APP = "Queue"  # a CDR leg's lastapp when the queue rang a member
_SLACK = 1  # second: a leg the dialplan starts after the queue gave up starts as it ends


def by_caller(found: Iterable[Stay]) -> dict[str, list[Stay]]:
    """callid -> its stays, in entry order."""
    grouped: dict[str, list[Stay]] = {}
    for stay in found:
        grouped.setdefault(stay.callid, []).append(stay)
    return grouped


def leg_stay(caller_stays: Sequence[Stay], lastapp: str, start: int) -> tuple[Stay, int] | None:
    """The stay through which a leg of the caller came, and the seconds the caller had waited in it
    when the leg started ringing; None when the leg did not come through a queue.

    A queue's member leg (lastapp Queue) belongs to the stay still running when it started (the
    first attempt's leg starts with the caller's channel, before ENTERQUEUE: 0 s). Any other leg
    came through the last stay that had ended, unless still waiting, when it started (the overflow
    after a timeout, a transfer after the answer), with the stay's whole wait.
    """
    if lastapp == QUEUE_APP:
        running = next((stay for stay in caller_stays if stay.end >= start), None)
        stay = running or (caller_stays[-1] if caller_stays else None)
        return None if stay is None else (stay, max(0, start - stay.enter))
    ended = [stay for stay in caller_stays if stay.outcome != WAITING and stay.end <= start + _SLACK]
    if not ended:
        return None
    stay = ended[-1]
    return stay, stay.end - stay.enter if stay.wait is None else stay.wait
