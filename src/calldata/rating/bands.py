"""Time bands: which of peak, offpeak or weekend a moment falls in, in the PBX's own time zone.

A leg is priced by the band at its start (its answer): a call begun at 17:59 on a weekday is a
peak call for all its minutes, as carriers bill it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple

BANDS = ("peak", "offpeak", "weekend")
DEFAULT_PEAK = "08:00-18:00"
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class Peak(NamedTuple):
    """Weekday minutes from midnight: peak is [start, end)."""

    start: int
    end: int


def parse_peak(text: str) -> Peak:
    """`"08:00-18:00"` -> Peak(480, 1080); ValueError naming the expected form otherwise."""
    match = _HOURS.match(text.strip())
    if not match:
        raise ValueError(f"peak hours: expected HH:MM-HH:MM such as {DEFAULT_PEAK}, got {text!r}")
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3]) * 60 + int(match[4])
    if end <= start or end > 24 * 60:
        raise ValueError(f"peak hours: the end must come after the start, got {text!r}")
    return Peak(start, end)


def band_at(local: datetime, peak: Peak) -> str:
    """The band of a local (PBX zone) moment: Saturday and Sunday are weekend all day."""
    if local.weekday() >= 5:
        return "weekend"
    minute = local.hour * 60 + local.minute
    return "peak" if peak.start <= minute < peak.end else "offpeak"
