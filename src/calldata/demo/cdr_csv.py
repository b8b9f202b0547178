"""Writing CDRs as Asterisk's cdr_csv does, with usegmtime, loguniqueid, loguserfield and newcdrcolumns.

21 columns: accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start,
answer, end, duration, billsec, disposition, amaflags, uniqueid, userfield, peeraccount, linkedid,
sequence. Text is always quoted (a `"` inside doubled), numbers and the sequence are not, a time
that is not set is written as nothing at all (`,,`), times are UTC `YYYY-MM-DD HH:MM:SS`, the
disposition is Asterisk's spelling (`NO ANSWER`) and the AMA flags their name (`DOCUMENTATION`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TextIO

from calldata.cdr import Cdr

# ast_cdr_disp2str and ast_channel_amaflags2string
_DISPOSITION = {"NOANSWER": "NO ANSWER"}
_AMAFLAGS = {1: "OMIT", 2: "BILLING", 3: "DOCUMENTATION"}

_CHUNK = 2000  # lines handed to the stream at once


class _Times(dict[datetime, str]):
    """A time's text, remembered: the rows of a call share their times."""

    def __missing__(self, moment: datetime) -> str:
        if len(self) > 4096:
            self.clear()
        utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
        text = self[moment] = str(utc)[:19]
        return text


def _q(text: str) -> str:
    return text.replace('"', '""')


def format_row(record: Cdr, _times: _Times | None = None) -> str:
    """One CDR as the line cdr_csv writes for it (with its newline)."""
    times = _Times() if _times is None else _times
    r = record
    answer = "" if r.answer is None else f'"{times[r.answer]}"'
    end = "" if r.end is None else f'"{times[r.end]}"'
    sequence = "" if r.sequence is None else r.sequence
    return (
        f'"{_q(r.accountcode)}","{_q(r.src)}","{_q(r.dst)}","{_q(r.dcontext)}","{_q(r.clid)}",'
        f'"{_q(r.channel)}","{_q(r.dstchannel)}","{_q(r.lastapp)}","{_q(r.lastdata)}",'
        f'"{times[r.start]}",{answer},{end},{r.duration},{r.billsec},'
        f'"{_DISPOSITION.get(r.disposition, r.disposition)}","{_AMAFLAGS.get(r.amaflags, "Unknown")}",'
        f'"{_q(r.uniqueid)}","{_q(r.userfield)}","{_q(r.peeraccount)}","{_q(r.linkedid)}",{sequence}\n'
    )


def write_csv(records: Iterable[Cdr], stream: TextIO, progress: Callable[[int], None] | None = None) -> int:
    """Write the records to a text stream (open it with newline=""); returns how many were written.

    `progress` is called with the number written so far after each chunk of lines.
    """
    times = _Times()
    lines: list[str] = []
    written = 0
    for record in records:
        lines.append(format_row(record, times))
        if len(lines) == _CHUNK:
            stream.writelines(lines)
            written += len(lines)
            lines.clear()
            if progress is not None:
                progress(written)
    stream.writelines(lines)
    written += len(lines)
    if progress is not None:
        progress(written)
    return written
