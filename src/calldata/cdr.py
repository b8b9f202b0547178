"""The raw CDR record every source produces, and the normalisations every source shares.

A `Cdr` is what Asterisk wrote, with times converted to aware UTC datetimes, the disposition
spelled as the API spells it and the AMA flags as a number. Parsers (Master.csv, the CDR table,
AMI) build it; the store keeps it; attribution reads it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import msgspec

DISPOSITIONS = ("ANSWERED", "NOANSWER", "BUSY", "FAILED", "CONGESTION")

# Asterisk's own spellings (cdr.c, ast_cdr_disp2str) and what older releases / ODBC write.
_DISPOSITION_ALIASES = {
    "ANSWERED": "ANSWERED",
    "NO ANSWER": "NOANSWER",
    "NOANSWER": "NOANSWER",
    "BUSY": "BUSY",
    "FAILED": "FAILED",
    "CONGESTION": "CONGESTION",
    # cdr_adaptive_odbc may store the numeric enum ast_cdr_disposition (Asterisk 12+)
    "0": "NOANSWER",
    "1": "NOANSWER",
    "2": "FAILED",
    "4": "BUSY",
    "8": "ANSWERED",
    "16": "CONGESTION",
}

# ast_channel_amaflags2string: OMIT=1, BILLING=2, DOCUMENTATION=3; "" and "Unknown" mean default.
_AMAFLAGS = {"OMIT": 1, "BILLING": 2, "DOCUMENTATION": 3, "DEFAULT": 0, "UNKNOWN": 0, "": 0}


class CdrValueError(ValueError):
    """A field that no Asterisk release would write; the message names the field."""


def normalise_disposition(value: str) -> str:
    """`NO ANSWER` -> `NOANSWER`; numbers and case variants accepted; anything else is an error."""
    key = value.strip().upper()
    try:
        return _DISPOSITION_ALIASES[key]
    except KeyError:
        raise CdrValueError(f"disposition: unknown value {value!r}") from None


# The store keeps duration, billsec, amaflags and sequence in 32-bit integer columns, the C `int`
# Asterisk itself counts them in; a value beyond is refused here, naming the field, so every
# source quarantines it the same way on every store (SQLite would keep it, PostgreSQL would not).
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1


def in_store_range(field: str, value: int, written: object, *, least: int = 0) -> int:
    """`value` if the store's integer column holds it and it is at least `least`; else `CdrValueError`."""
    if value < least:
        raise CdrValueError(f"{field}: below {least}: {written!r}")
    if value > INT_MAX:
        raise CdrValueError(f"{field}: too large for the store (at most {INT_MAX}): {written!r}")
    return value


def normalise_amaflags(value: str | int) -> int:
    """AMA flags given as a name (`DOCUMENTATION`) or a number (`3`) -> the number."""
    if isinstance(value, int):
        return in_store_range("amaflags", value, value)
    text = value.strip()
    if text.isascii() and text.isdigit():
        return in_store_range("amaflags", int(text), value)
    try:
        return _AMAFLAGS[text.upper()]
    except KeyError:
        raise CdrValueError(f"amaflags: unknown value {value!r}") from None


class Cdr(msgspec.Struct, kw_only=True):
    """One Asterisk CDR row; string fields are never None ("" when Asterisk wrote nothing)."""

    start: datetime
    answer: datetime | None = None
    end: datetime | None = None
    clid: str = ""
    src: str = ""
    dst: str = ""
    dcontext: str = ""
    channel: str = ""
    dstchannel: str = ""
    lastapp: str = ""
    lastdata: str = ""
    duration: int = 0
    billsec: int = 0
    disposition: str = "NOANSWER"
    amaflags: int = 0
    accountcode: str = ""
    uniqueid: str = ""
    linkedid: str = ""
    peeraccount: str = ""
    sequence: int | None = None
    userfield: str = ""

    def natural_key(self) -> str:
        """The record's identity across sources and re-imports (same row -> same key).

        With a uniqueid (Asterisk 1.6+), uniqueid + sequence + start + both channels identify a
        row; rows without one (the oldest cdr_csv layout) add every field that could tell two
        rows of one channel apart.
        """
        parts = [
            self.uniqueid,
            "" if self.sequence is None else str(self.sequence),
            _compact(self.start),
            self.channel,
            self.dstchannel,
        ]
        if not self.uniqueid:
            parts += [
                self.dst,
                self.lastapp,
                self.lastdata,
                "" if self.answer is None else _compact(self.answer),
                "" if self.end is None else _compact(self.end),
                self.disposition,
                str(self.duration),
                str(self.billsec),
            ]
        return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


_ENCODE = msgspec.json.Encoder().encode


def utc_text(moment: datetime) -> str:
    """An instant as ISO 8601 text in UTC, by msgspec (0.14 us; `isoformat` takes 1.8, psycopg's
    datetime dumper 2.3: bench/RESULTS.md). Any other zone is converted first: msgspec writes no
    offset of seconds."""
    return _ENCODE(moment if moment.tzinfo is UTC else moment.astimezone(UTC))[1:-1].decode()


def _compact(moment: datetime) -> str:
    """`moment.strftime("%Y%m%d%H%M%S")`, cut from msgspec's ISO text (a third of strftime's time,
    0.4 of isoformat's: the importer computes a natural key for every record)."""
    if moment.year < 1000:  # strftime does not pad such a year
        return moment.strftime("%Y%m%d%H%M%S")
    iso = _ENCODE(moment)  # b'"YYYY-MM-DDTHH:MM:SS...', the wall time in the moment's own zone
    return (iso[1:5] + iso[6:8] + iso[9:11] + iso[12:14] + iso[15:17] + iso[18:20]).decode()
