"""The recorded runs' queue_log files stored beside their CDRs (with the `world` fixture's store)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from calldata.queues.event import numbered, parse_line
from calldata.queues.store import store_events
from recordings import RUNS

RUN2 = RUNS[1]


def store_queue_log(engine: Engine, path: Path) -> int:
    """Store one queue_log file's events; how many were new."""
    with engine.begin() as conn:
        return store_events(conn, list(numbered(parse_line(line) for line in path.read_text().splitlines() if line)))


def load_queue_logs(engine: Engine) -> None:
    """Every run's all/queue_log (only the second run has queue events)."""
    for run in RUNS:
        found = run / "all" / "queue_log"
        if found.exists():
            store_queue_log(engine, found)
