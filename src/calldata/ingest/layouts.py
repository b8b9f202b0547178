"""The column layouts of Asterisk's CSV CDR files: cdr_csv with its cdr.conf options, cdr_custom's
Master.csv, or a column list given by the operator (`calldata import --layout`).

Pure data: which column holds which Cdr field. Parsing a record with a layout is csvfile.py's;
telling a file's layout from its first records is csvfile.detect_layout.
"""

from __future__ import annotations

from itertools import product
from typing import NamedTuple

from calldata.cdr import Cdr



class Layout(NamedTuple):
    """The columns of one CSV layout, in file order ("" marks a column that is skipped)."""

    name: str
    columns: tuple[str, ...]


# cdr_csv.c writes these 16 always, then uniqueid (loguniqueid), userfield (loguserfield) and
# peeraccount, linkedid, sequence (newcdrcolumns), in that order, each when enabled in cdr.conf.
_CSV_BASE = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
)
_NEWCDRCOLUMNS = ("peeraccount", "linkedid", "sequence")

# configs/samples/cdr_custom.conf.sample: the Master.csv mapping, starting with clid; releases
# before 1.8 had the same mapping without the trailing sequence.
_CUSTOM = (
    "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata", "start",
    "answer", "end", "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid",
    "userfield", "sequence",
)


def _csv_layout(loguniqueid: bool, loguserfield: bool, newcdrcolumns: bool) -> Layout:
    options = [
        name
        for name, on in (
            ("loguniqueid", loguniqueid),
            ("loguserfield", loguserfield),
            ("newcdrcolumns", newcdrcolumns),
        )
        if on
    ]
    columns = (
        _CSV_BASE
        + (("uniqueid",) if loguniqueid else ())
        + (("userfield",) if loguserfield else ())
        + (_NEWCDRCOLUMNS if newcdrcolumns else ())
    )
    return Layout("+".join(["cdr_csv", *options]), columns)


# In order of preference when a record fits more than one (uniqueid before userfield).
LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in [
        *(_csv_layout(u, f, n) for u, f, n in product((True, False), repeat=3)),
        Layout("cdr_custom", _CUSTOM),
        Layout("cdr_custom-nosequence", _CUSTOM[:-1]),
    ]
}

# The Cdr fields a custom column list may name (start, answer and end are times).
_CDR_FIELDS = frozenset(Cdr.__struct_fields__)


def layout_from_spec(spec: str) -> Layout:
    """A layout by name (see LAYOUTS), or a comma-separated column list for a custom mapping.

    In a column list each name is a `Cdr` field (`calldate` means `start`) and an empty name or
    `-` skips that column, e.g. `clid,src,dst,-,start,end,duration,billsec,disposition`.
    """
    if spec in LAYOUTS:
        return LAYOUTS[spec]
    if "," not in spec:
        raise ValueError(f"unknown layout {spec!r}; known: {', '.join(LAYOUTS)}, or a column list")
    columns = tuple("" if c.strip() in ("", "-") else c.strip().lower() for c in spec.split(","))
    columns = tuple("start" if c == "calldate" else c for c in columns)
    unknown = [c for c in columns if c and c not in _CDR_FIELDS]
    if unknown:
        raise ValueError(f"layout column(s) {', '.join(unknown)} are not CDR fields")
    named = [c for c in columns if c]
    if len(named) != len(set(named)):
        raise ValueError("layout names a column twice")
    if "start" not in columns:
        raise ValueError("layout has no start (calldate) column")
    return Layout(spec, columns)
