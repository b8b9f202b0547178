"""Realistic Asterisk 22 CDRs for the companies of a directory, shaped like the recorded stories.

Every kind of call is written the way real Asterisk writes it (the recordings in `tests/data/asterisk-real/`):
channel names with their unique suffix, `lastapp`/`lastdata` of the dialplan behind the example
PBX, `<epoch>.<counter>` uniqueids, global CDR sequence numbers, the extra zero-length `Hangup`
row after a failed dial, `dst` rewritten by a blind transfer, the parking and pickup records,
DISA's auth code as `accountcode`, `call_rec=` in `userfield`. Calls follow office hours in the
PBX's time zone, weekdays busier than weekends, and rows come out in the order Asterisk writes
them (a call's rows when it ends). The same directory, seed and start give the same rows.

The core is `calls`: one `Call` (its kind and rows) at a time, in start order, spread over the
period by office hours; `generate` turns those into the stream Asterisk would write. The PBX the
calls are made on is demo.pbx, their rows demo.legs, each kind of call demo.kinds.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from calldata.attribution.directory import Directory
from calldata.cdr import Cdr
from calldata.demo.kinds import Maker
from calldata.demo.legs import Call
from calldata.queues.event import QueueEvent

DEFAULT_START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday: the default start is fixed, so a seed says it all

# Calls per hour of a weekday, relative (local time of the PBX), and per day Monday..Sunday.
_HOURS = (0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.15, 0.6, 1.0, 1.0, 0.95,
          0.6, 0.75, 0.95, 0.9, 0.8, 0.45, 0.15, 0.08, 0.05, 0.04, 0.03, 0.02)
_DAYS = (1.0, 1.0, 1.0, 0.97, 0.9, 0.12, 0.06)


def _hour_weights(start: datetime, days: int, zone: ZoneInfo) -> list[float]:
    """The relative call volume of each hour of the period, by local hour and weekday."""
    weights = []
    for h in range(days * 24):
        local = (start + timedelta(hours=h)).astimezone(zone)
        weights.append(_HOURS[local.hour] * _DAYS[local.weekday()])
    return weights


def calls(directory: Directory, *, rows: int, seed: int = 0, start: datetime | None = None,
          days: int = 28) -> Iterator[Call]:
    """Calls in start order, `rows` rows in all, spread over `days` days from `start` by office hours."""
    if rows < 0 or days < 1:
        raise ValueError("rows must be >= 0 and days >= 1")
    maker = Maker(directory, seed)
    rng = maker.rng
    begin = int((start or DEFAULT_START).timestamp())
    weights = _hour_weights(datetime.fromtimestamp(begin, UTC), days, maker.zone)
    total = sum(weights)
    made = 0
    mean = 1.4  # rows per call, learnt as we go
    calls_made = 0
    reached = 0.0
    for hour, weight in enumerate(weights):
        reached += weight
        budget = rows if hour == len(weights) - 1 else round(rows * reached / total)
        if made >= budget:
            continue
        base = begin + hour * 3600
        expected = max(1, math.ceil((budget - made) / mean))
        rand = rng.random
        offsets = sorted(int(rand() * 3600) for _ in range(expected))
        i = 0
        while made < budget:
            if i == len(offsets):  # more calls than expected: squeeze them into the rest of the hour
                last = offsets[-1]
                offsets += sorted(last + int(rand() * (3600 - last)) for _ in range(expected))
            call = maker.call(base + offsets[i])
            i += 1
            if made + len(call.rows) > rows:  # the last call must fit: take a one-row call instead
                call = maker.call(base + offsets[i - 1], rng.choice(maker.single))
                del call.rows[rows - made:]  # (only with phones of several devices)
            made += len(call.rows)
            calls_made += 1
            mean = made / calls_made
            yield call


def generate(directory: Directory, *, rows: int, seed: int = 0, start: datetime | None = None,
             days: int = 28, queue_log: list[QueueEvent] | None = None) -> Iterator[Cdr]:
    """Exactly `rows` CDRs in the order Asterisk writes them: each call's rows when the call ends;
    the queue calls' queue_log events are added to `queue_log` when given (as the calls are made)."""
    pending: list[tuple[int, int, list[Cdr]]] = []
    push, pop = heapq.heappush, heapq.heappop
    for n, call in enumerate(calls(directory, rows=rows, seed=seed, start=start, days=days)):
        if queue_log is not None:
            queue_log.extend(call.events)
        while pending and pending[0][0] <= call.start:
            yield from pop(pending)[2]
        push(pending, (call.end, n, call.rows))
    while pending:
        yield from pop(pending)[2]
