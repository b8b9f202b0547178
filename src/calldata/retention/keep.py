"""How long legs are kept (`--keep 24mo`, `90d`, `2y`) and the cutoff instant that gives."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_KEEP = re.compile(r"(\d+)(d|mo|y)")


def cutoff(keep: str, now: datetime | None = None) -> datetime:
    """The instant (UTC) before which a leg is old: `now` minus `keep` (months by the calendar,
    the day clamped to the month's last, so 24mo from 31 March is 31 March two years before).
    ValueError, in words, for text that is not a duration."""
    match = _KEEP.fullmatch(keep.strip().lower())
    if match is None or int(match[1]) == 0:
        raise ValueError(f"not a retention period: {keep!r} (give days, months or years: 90d, 24mo, 2y)")
    count, unit = int(match[1]), match[2]
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if unit == "d":
        return now - timedelta(days=count)
    months = count * (12 if unit == "y" else 1)
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    month += 1
    last = (datetime(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return now.replace(year=year, month=month, day=min(now.day, last))
