"""--keep: days, calendar months and years back from now, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from calldata.retention.keep import cutoff

NOW = datetime(2026, 3, 31, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(("keep", "expected"), [
    ("90d", datetime(2025, 12, 31, 12, 30, tzinfo=UTC)),
    ("24mo", datetime(2024, 3, 31, 12, 30, tzinfo=UTC)),
    ("1mo", datetime(2026, 2, 28, 12, 30, tzinfo=UTC)),  # no 31 February: its last day
    ("25mo", datetime(2024, 2, 29, 12, 30, tzinfo=UTC)),  # a leap year's
    ("2y", datetime(2024, 3, 31, 12, 30, tzinfo=UTC)),
    ("15MO", datetime(2024, 12, 31, 12, 30, tzinfo=UTC)),
])
def test_cutoffs(keep: str, expected: datetime) -> None:
    assert cutoff(keep, NOW) == expected


@pytest.mark.parametrize("keep", ["", "24", "0d", "-3d", "2 years", "1w"])
def test_what_is_not_a_period(keep: str) -> None:
    with pytest.raises(ValueError, match="not a retention period"):
        cutoff(keep, NOW)
