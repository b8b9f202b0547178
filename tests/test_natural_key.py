"""A record's natural key is what stored it: it must never change between versions, or re-importing
a file, or a live source read again, would store its rows twice."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from calldata.cdr import Cdr

_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(seconds=-30))])
_TIMES = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_ZONES)


def _defined(record: Cdr) -> str:
    """The key as defined when it was first stored: times by strftime, blake2b of 16 bytes."""
    def compact(moment: datetime) -> str:
        return moment.strftime("%Y%m%d%H%M%S")
    parts = [record.uniqueid, "" if record.sequence is None else str(record.sequence), compact(record.start),
             record.channel, record.dstchannel]
    if not record.uniqueid:
        parts += [record.dst, record.lastapp, record.lastdata, "" if record.answer is None else compact(record.answer),
                  "" if record.end is None else compact(record.end), record.disposition, str(record.duration),
                  str(record.billsec)]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


@given(st.builds(Cdr, start=_TIMES, answer=st.none() | _TIMES, end=st.none() | _TIMES,
                 uniqueid=st.sampled_from(["", "1795917777.12"]), sequence=st.none() | st.integers(0, 10**6),
                 channel=st.text(max_size=8), dst=st.text(max_size=8), duration=st.integers(0, 10**6)))
def test_the_natural_key_is_the_one_first_defined(record: Cdr) -> None:
    assert record.natural_key() == _defined(record)
