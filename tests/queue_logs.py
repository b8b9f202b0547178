"""queue_log data for the ingestion tests: the recorded run's file, generated ones, and what the store
holds (events; the stays kept, and the stays stays.py reads from the stored events)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from calldata.queues.event import numbered, parse_line
from calldata.queues.schema import queue_event, queue_stay, queue_stay_ring
from calldata.queues.stays import Line, stays
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


def stored_lines(engine: Engine) -> list[Line]:
    """Every stored event as a Line, in the order every reader takes them: callid, time, id
    (the seconds computed here, not by the database)."""
    columns = [queue_event.c[c] for c in ("time", *COLUMNS[1:])]
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(queue_event.c.callid, queue_event.c.time, queue_event.c.id))
        found = []
        for time, callid, queue, agent, name, *data in rows:
            while data and not data[-1]:
                data.pop()
            found.append(Line(int(time.timestamp()), callid, queue, agent, name, tuple(data)))
    return found


def kept_stays(engine: Engine) -> list[tuple[Any, ...]]:
    """The stays kept in the store, each with its members rung, sorted."""
    with engine.connect() as conn:
        rung: dict[tuple[str, int], dict[str, list[int]]] = {}
        for r in conn.execute(select(queue_stay_ring)):
            rung.setdefault((r.callid, r.n), {})[r.agent] = [r.unanswered, r.busy]
        return sorted((s.callid, s.n, s.queue, s.entered, s.ended, s.outcome, s.wait, s.agent, s.talk,
                       s.transferred, sorted(rung.get((s.callid, s.n), {}).items()))
                      for s in conn.execute(select(queue_stay)))


def computed_stays(engine: Engine) -> list[tuple[Any, ...]]:
    """stays.py's stays of every stored event, as `kept_stays` gives them (a caller's numbered 0, 1...
    in entry order)."""
    numbered_so_far: dict[str, int] = {}
    rows = []
    for s in stays(stored_lines(engine)):
        n = numbered_so_far[s.callid] = numbered_so_far.get(s.callid, -1) + 1
        rows.append((s.callid, n, s.queue, s.enter, s.end, s.outcome, s.wait, s.agent, s.talk, s.transferred,
                     sorted(s.rung.items())))
    return sorted(rows)
