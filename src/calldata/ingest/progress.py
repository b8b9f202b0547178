"""A periodic log line per live source (rows stored, lag), so a running ingester shows it is working."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from calldata.ingest.sink import Stored

log = logging.getLogger("calldata.ingest")


class ProgressLog:
    """Counts what a source stores and logs it every `every` seconds, idle or not."""

    def __init__(self, name: str, every: float) -> None:
        self.name = name
        self.every = every
        self.total = 0
        self.recent = Stored()
        self.newest: datetime | None = None
        self.since = time.monotonic()

    def add(self, stored: Stored, newest: datetime | None) -> None:
        """Count a batch stored; `newest` is its latest call start."""
        self.recent += stored
        self.total += stored.inserted
        if newest is not None and (self.newest is None or newest > self.newest):
            self.newest = newest

    def tick(self) -> None:
        """Log the line if it is due."""
        now = time.monotonic()
        if now - self.since < self.every:
            return
        lag = "no rows yet" if self.newest is None else f"lag {(datetime.now(UTC) - self.newest).total_seconds():.1f} s"
        log.info("%s: %d rows stored in the last %.0f s (%d since start), %d quarantined, %d already present; %s",
                 self.name, self.recent.inserted, now - self.since, self.total, self.recent.quarantined,
                 self.recent.present, lag)
        self.recent = Stored()
        self.since = now
