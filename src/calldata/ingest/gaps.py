"""Keys a table reader skipped over, and how long it has spent looking for each.

A pool of writers (cdr_adaptive_odbc) can commit key 41 after key 42 was read, and a rolled-back
insert never fills its key. A skipped key is looked up again on every poll and given up only
after `gap_wait` seconds spent polling for it: the time the ingester was stopped, the PBX
database was unreachable or the store refused batches is not time spent looking, so a key that
commits during such an outage is still found afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any


class PollClock:
    """Seconds spent polling: it advances only inside `polling()` (the source's `read`)."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._spent = 0.0
        self._since: float | None = None

    @contextmanager
    def polling(self) -> Iterator[None]:
        """Count the time spent inside this block."""
        self._since = self._now()
        try:
            yield
        finally:
            self._spent += self._now() - self._since
            self._since = None

    def __call__(self) -> float:
        """Seconds spent polling so far, the poll under way included."""
        return self._spent + (0.0 if self._since is None else self._now() - self._since)


class Gaps:
    """Key ranges skipped over, each with the seconds spent polling for it so far."""

    def __init__(self, ranges: Iterable[Sequence[float]] = ()) -> None:
        self.ranges: list[list[float]] = [list(r) for r in ranges]

    @classmethod
    def from_position(cls, state: Mapping[str, Any]) -> Gaps:
        """A checkpoint's gaps; an older checkpoint's `holes` (stamped with a wall-clock time) wait anew."""
        if "gaps" in state:
            return cls(state["gaps"])
        return cls([lo, hi, 0.0] for lo, hi, _ in state.get("holes", ()))

    def add(self, lo: int, hi: int) -> None:
        if lo <= hi:
            self.ranges.append([lo, hi, 0.0])

    def fill(self, key: int) -> None:
        """A key in a gap appeared: split its range."""
        out: list[list[float]] = []
        for lo, hi, looked in self.ranges:
            if lo <= key <= hi:
                out += [r for r in ([lo, key - 1, looked], [key + 1, hi, looked]) if r[0] <= r[1]]
            else:
                out.append([lo, hi, looked])
        self.ranges = out

    def give_up(self, looked: float, wait: float) -> list[tuple[int, int]]:
        """Count `looked` more seconds of polling for every gap; drop and return those looked for `wait`."""
        for r in self.ranges:
            r[2] += looked
        gone = [(int(lo), int(hi)) for lo, hi, seconds in self.ranges if seconds >= wait]
        self.ranges = [r for r in self.ranges if r[2] < wait]
        return gone

    def as_list(self) -> list[list[int | float]]:
        return [[int(lo), int(hi), round(looked, 3)] for lo, hi, looked in self.ranges]
