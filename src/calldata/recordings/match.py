"""Which leg a recording belongs to (pure): by `call_rec`, else by the uniqueid in its name.

`call_rec` holds what the dialplan gave MixMonitor: the bare file name, a path relative to the
monitor directory (`2026/11/29/x.wav`) or an absolute one (`/var/spool/asterisk/monitor/x.wav`);
any of those names the file. Without it, a name holding a uniqueid (MixMonitor names such as
`acme-20261129-151936-1795965576.57-201-01632960555.wav`) names the legs of that uniqueid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import NamedTuple

# Asterisk's uniqueid: epoch seconds, a dot, a counter (a system name may precede it, `pbx1-`)
_UNIQUEID = re.compile(r"(?<![0-9.])[0-9]{9,11}\.[0-9]+(?![0-9])")


class Leg(NamedTuple):
    """What matching needs to know of a candidate leg."""

    acctid: int
    uniqueid: str
    call_rec: str
    disposition: str


def names(path: str, root: str) -> set[str]:
    """Every spelling of the file a `call_rec` may hold: its name, its relative path, its absolute path."""
    return {PurePosixPath(path).name, path, f"{root.rstrip('/')}/{path}"}


def uniqueids(path: str) -> list[str]:
    """The uniqueids in a file's name (normally one)."""
    return _UNIQUEID.findall(PurePosixPath(path).name)


def leg_for(path: str, root: str, legs: Iterable[Leg]) -> Leg | None:
    """The leg the recording belongs to among `legs` (those naming it or sharing a uniqueid with
    its name): one whose call_rec names it first, one of the uniqueid in its name before others,
    an answered one before others, then the first written."""
    spelled, ids = names(path, root), set(uniqueids(path))
    candidates = [leg for leg in legs if leg.call_rec in spelled or leg.uniqueid in ids]
    if not candidates:
        return None
    return min(candidates, key=lambda leg: (leg.call_rec not in spelled, leg.uniqueid not in ids,
                                            leg.disposition != "ANSWERED", leg.acctid))
