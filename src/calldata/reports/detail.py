"""The `detail` text of a reported call (docs/api.md, Call reports): its outcome, and how it
came to the extension (transfer, pickup, forward, recall), from the properties attribution stored."""

from __future__ import annotations

from collections.abc import Sequence

from calldata.reports.query import Leg
from calldata.reports.roster import Roster

OUTCOMES = {
    "ANSWERED": "Answered",
    "NOANSWER": "Not answered",
    "BUSY": "Busy",
    "FAILED": "Failed",
    "CONGESTION": "Congestion",
}
_PICKUP_GAP = 1  # second: a pickup leg starts as the picked-up leg ends


def picked_up(legs: Sequence[Leg], roster: Roster) -> dict[int, str]:
    """acctid of a leg that rang one device -> the extension whose pickup took the call from it.

    A pickup leaves the caller's leg to the rung phone (ANSWERED, billsec 0) and then a leg of
    the same caller's channel, `is_pick`, to the phone that picked up, starting as the first ends.
    """
    picks = [leg for leg in legs if leg.is_pick]
    if not picks:
        return {}
    callers = {leg.channel for leg in picks}  # only their legs are grouped (a report has ~1% pickups)
    by_channel: dict[str, list[Leg]] = {}
    for leg in legs:
        if leg.channel in callers:
            by_channel.setdefault(leg.channel, []).append(leg)
    taken: dict[int, str] = {}
    for leg in picks:
        picker = roster.device(leg.dstchannel)
        if picker is None:
            continue
        for earlier in by_channel[leg.channel]:
            rung = roster.device(earlier.dstchannel)
            if (rung is not None and rung[:2] != picker[:2] and earlier.end is not None
                    and abs(leg.calldate - earlier.end) <= _PICKUP_GAP):
                taken[earlier.acctid] = picker[1]
    return taken


def detail(leg: Leg, picked_by: str | None = None, forwarded_from: str | None = None,
           abandoned_after: int | None = None) -> str:
    """`Answered`, `Busy (transfer from 202)`, `Picked up by 203`, `Not answered (abandoned in queue
    after 14 s)`, ... (every text in docs/api.md)."""
    if picked_by is not None:
        return f"Picked up by {picked_by}"
    outcome = OUTCOMES.get(leg.disposition, leg.disposition)
    if abandoned_after is not None and leg.disposition != "ANSWERED":  # a missed call: the caller gave up
        return f"{outcome} (abandoned in queue after {abandoned_after} s)"
    if leg.xfer:
        return f"{outcome} (transfer from {leg.xfer})"
    if leg.is_pick:
        return f"{outcome} (pickup of {leg.dial_short})" if leg.dial_short else f"{outcome} (pickup)"
    if leg.is_bounce:
        return f"{outcome} (recall)"
    if forwarded_from:
        return f"{outcome} (forwarded from {forwarded_from})"
    return outcome
