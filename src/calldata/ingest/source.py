"""What every live source gives the run loop: batches of parsed records with the position after them."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from calldata.ingest.sink import CDRS, Sink
from calldata.store.quarantine import Rejected


class Batch(NamedTuple):
    """Records read from a source, the ones that did not parse, the position just past them, how
    many keys the source stopped waiting for (a table's skipped keys, counted in the metrics), and
    the sink that stores this kind of record (CDRs unless the source reads queue_log)."""

    records: list[Any]
    rejected: list[Rejected]
    position: str
    given_up: int = 0
    sink: Sink = CDRS

    def newest(self) -> datetime | None:
        """The latest record time in the batch (call start, queue event time; for the lag metric)."""
        return max(map(self.sink.when, self.records), default=None)


class SourceUnavailable(Exception):
    """The source cannot be read right now (server down, file missing): wait and retry."""


class Source(Protocol):
    """A live source. The run loop stores each batch with `position` in one transaction, and after
    any failure calls `close` and `open` with the last committed position."""

    name: str
    kind: str

    def open(self, position: str) -> None: ...

    def read(self, wait: float) -> Batch | None:
        """The next batch, waiting up to `wait` seconds for one; None if nothing new arrived."""
        ...

    def close(self) -> None: ...

    def reconnects(self) -> int:
        """Connections re-established since the last call (counted in the metrics)."""
        ...


class Poller:
    """Paces a polling source: after a look that found nothing, the next waits `interval` seconds."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = 0.0

    def read(self, look: Callable[[], Batch | None], wait: float) -> Batch | None:
        """The next batch `look` finds within `wait` seconds (`wait=0`: look once, now), else None."""
        deadline = time.monotonic() + wait
        while True:
            idle = self._next - time.monotonic()
            if idle > 0 and wait > 0:  # the last look found nothing: wait out the interval
                if idle > deadline - time.monotonic():
                    time.sleep(max(0.0, deadline - time.monotonic()))
                    return None
                time.sleep(idle)
            batch = look()
            if batch is not None:
                self._next = 0.0
                return batch
            self._next = time.monotonic() + self.interval
            if time.monotonic() >= deadline:
                return None


def zone(name: str) -> tzinfo:
    """An IANA zone name (UTC also as `UTC`); `ValueError` names an unknown one."""
    if name.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except Exception:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/London)") from None
