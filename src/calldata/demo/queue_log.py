"""The queue_log lines of the demo's queue calls, consistent with their CDRs, and the file they go to.

A generated queue call is one CDR row (caller -> the member who answered, or no member when the
caller gave up); its queue_log is what Asterisk's `Queue(...,t,,,300)` writes for it: ENTERQUEUE,
one RINGNOANSWER per member rung for a whole ring timeout without answering, then CONNECT and
COMPLETEAGENT/COMPLETECALLER, or RINGCANCELED and ABANDON, or EXITWITHTIMEOUT after 300 s. Drawn
from the row's own times: no random draw, so the CDRs of a seed are the same with or without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TextIO

from calldata.queues.event import QueueEvent, make, numbered

MEMBER_TIMEOUT = 15  # seconds a member rings (Asterisk's default `timeout`) before the next is tried
QUEUE_TIMEOUT = 300  # Queue()'s fifth argument in the demo's dialplan


def queue_events(queue: str, callid: str, number: str, enter: int, wait: int, members: Sequence[str],
                 answered_by: str | None, end: int) -> list[QueueEvent]:
    """One caller's stay: entered at `enter`, rang `members` in turn, answered by `answered_by`
    after `wait` seconds and ended at `end`; else left after `wait` (abandon) or timed out."""
    lines: list[tuple[int, str, str, tuple[str, ...]]] = [(enter, "NONE", "ENTERQUEUE", ("", number, "1"))]
    waited = min(wait, QUEUE_TIMEOUT)
    missed = waited // MEMBER_TIMEOUT  # whole ring timeouts before the answer or the end
    if answered_by in members:  # the members in turn (linear), the one who answered rung last
        first = (members.index(answered_by) - missed) % len(members)
        members = [*members[first:], *members[:first]]
    for n in range(missed):
        lines.append((enter + MEMBER_TIMEOUT * (n + 1), members[n % len(members)], "RINGNOANSWER",
                       (str(MEMBER_TIMEOUT * 1000),)))
    ringing = waited - MEMBER_TIMEOUT * missed  # the member rung when it ended
    if answered_by is not None:
        lines.append((enter + wait, answered_by, "CONNECT", (str(wait), "", str(ringing))))
        ender = "COMPLETECALLER" if end % 2 else "COMPLETEAGENT"
        lines.append((end, answered_by, ender, (str(wait), str(end - enter - wait), "1")))
    elif wait >= QUEUE_TIMEOUT:
        lines.append((enter + QUEUE_TIMEOUT, "NONE", "EXITWITHTIMEOUT", ("1", "1", str(QUEUE_TIMEOUT))))
    else:
        if ringing:
            lines.append((enter + wait, members[missed % len(members)], "RINGCANCELED", (str(ringing * 1000),)))
        lines.append((enter + wait, "NONE", "ABANDON", ("1", "1", str(wait))))
    return [make(datetime.fromtimestamp(at, UTC), callid, queue, agent, event, data) for at, agent, event, data in lines]


def in_log_order(events: Iterable[QueueEvent]) -> list[QueueEvent]:
    """Events as queue_log holds them: in time order (stable), repeats within a second numbered."""
    return list(numbered(sorted(events, key=lambda event: event.time)))


def write_queue_log(events: Iterable[QueueEvent], stream: TextIO) -> int:
    """Write `time|callid|queue|agent|event|data...` lines, as Asterisk's queue_log file; how many."""
    written = 0
    for event in in_log_order(events):
        fields = (str(int(event.time.timestamp())), event.callid, event.queue, event.agent, event.event, *event.data)
        stream.write("|".join(fields) + ("|\n" if not event.data else "\n"))
        written += 1
    return written
