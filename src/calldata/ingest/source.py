"""What every live source gives the run loop: batches of parsed records with the position after them."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

from calldata.cdr import Cdr
from calldata.store.quarantine import Rejected


class Batch(NamedTuple):
    """Records read from a source, the ones that did not parse, and the position just past them."""

    records: list[Cdr]
    rejected: list[Rejected]
    position: str

    def newest(self) -> datetime | None:
        """The latest call start in the batch (for the lag metric)."""
        return max((r.start for r in self.records), default=None)


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


def zone(name: str) -> tzinfo:
    """An IANA zone name (UTC also as `UTC`); `ValueError` names an unknown one."""
    if name.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except Exception:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/London)") from None
