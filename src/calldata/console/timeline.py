"""A call's legs as a timeline (pure): each leg's ring and talk placed on the call's own time scale."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Property flags as the view names them.
FLAGS = {"is_ivr": "IVR", "is_park": "park", "is_pick": "pickup", "is_auth": "dial-in", "is_bounce": "bounce"}


@dataclass(frozen=True, slots=True)
class Bar:
    """One leg on the timeline: seconds from the call's start, and the same as % of its length."""

    acctid: int
    caller: str
    callee: str
    app: str
    disposition: str
    at: int  # seconds from the call's start to the leg's start
    ring: int  # seconds ringing (to the answer, or to the end when never answered)
    talk: int  # seconds from the answer to the end
    left: float  # percentages of the call's length, for the drawing
    ring_width: float
    talk_width: float
    notes: tuple[str, ...]  # transfer, IVR, park, pickup, queue...


def _seconds(later: datetime, earlier: datetime) -> int:
    return max(0, int((later - earlier).total_seconds()))


def _notes(leg: Mapping[str, Any]) -> tuple[str, ...]:
    notes = [label for flag, label in FLAGS.items() if leg.get(flag)]
    if leg.get("xfer"):
        notes.append(f"transferred by {leg['xfer']}")
    if leg.get("lastapp") == "Queue":
        notes.append(f"queue {leg.get('dial_short') or leg.get('dst')}")
    return tuple(notes)


def bars(legs: Sequence[Mapping[str, Any]]) -> list[Bar]:
    """The legs (stored rows, in start order) as bars; the scale runs from the first start to the last end."""
    if not legs:
        return []
    start = min(leg["calldate"] for leg in legs)
    end = max((leg["end"] or leg["calldate"]) for leg in legs)
    length = max(1, _seconds(end, start))
    drawn = []
    for leg in legs:
        finish = leg["end"] or leg["calldate"]
        answered = leg["answer"] if leg["disposition"] == "ANSWERED" and leg["answer"] else None
        ring = _seconds(answered or finish, leg["calldate"])
        talk = _seconds(finish, answered) if answered else 0
        at = _seconds(leg["calldate"], start)
        drawn.append(Bar(
            acctid=leg["acctid"],
            caller=leg["src_ext"] or leg["src"] or leg["channel"],
            callee=leg["dial_short"] or leg["dst"] or leg["dstchannel"],
            app=leg["lastapp"], disposition=leg["disposition"],
            at=at, ring=ring, talk=talk,
            left=round(100 * at / length, 2),
            ring_width=round(100 * ring / length, 2),
            talk_width=round(100 * talk / length, 2),
            notes=_notes(leg),
        ))
    return drawn
