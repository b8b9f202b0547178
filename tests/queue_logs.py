"""queue_log data for the ingestion tests: the recorded run's file, generated ones, and what the store holds."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine, select

from calldata.queues.event import numbered, parse_line
from calldata.queues.schema import queue_event
from recordings import RUNS

QUEUE_LOG = RUNS[1] / "all" / "queue_log"  # asterisk-real-2: the whole run, QUEUESTART first
QUEUE_LOG_LINES = QUEUE_LOG.read_bytes().splitlines(keepends=True)
COLUMNS = ("time", "callid", "queue", "agent", "event", "data1", "data2", "data3", "data4", "data5")

EventRow = tuple[datetime, str, str, str, str, str, str, str, str, str]


def expected(lines: Iterable[bytes]) -> list[EventRow]:
    """The rows a file's lines must give (repeats numbered from the file's start), sorted."""
    events = numbered(parse_line(line.decode().rstrip("\r\n")) for line in lines if line.strip())
    return sorted((e.time, e.callid, e.queue, e.agent, e.event, *e.data_columns()) for e in events)  # type: ignore[misc]


def stored(engine: Engine) -> list[EventRow]:
    """The stored events, sorted (identical repeats stay separate rows)."""
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(*(queue_event.c[c] for c in COLUMNS))))  # type: ignore[misc]


def generated(n: int, *, start: int = 1_796_000_000, seed: int = 7) -> list[bytes]:
    """`n` queue_log lines of calls through two queues, a few per second, with identical lines
    in one second (a busy member rung twice: `RINGNOANSWER|0`) as Asterisk writes them."""
    rng = random.Random(seed)
    lines: list[bytes] = []
    now = start
    call = 0
    while len(lines) < n:
        call += 1
        callid = f"{now}.{call}"
        queue = rng.choice(("acme-support", "acme-sales"))
        now += rng.choice((0, 0, 1))
        events = [f"{now}|{callid}|{queue}|NONE|ENTERQUEUE||0770090{call % 10000:04d}|1"]
        for _ in range(rng.randint(0, 3)):  # busy members: the same line, the same second
            events.append(f"{now}|{callid}|{queue}|Bob|RINGNOANSWER|0")
        now += rng.randint(0, 2)
        if rng.random() < 0.2:
            events.append(f"{now}|{callid}|{queue}|NONE|ABANDON|1|1|{rng.randint(1, 30)}")
        else:
            events.append(f"{now}|{callid}|{queue}|Carol|CONNECT|3|{now}.{call + 1}|2")
            now += rng.randint(0, 2)
            events.append(f"{now}|{callid}|{queue}|Carol|COMPLETECALLER|3|{rng.randint(5, 300)}|1")
        lines += [(e + "\n").encode() for e in events]
    return lines[:n]
