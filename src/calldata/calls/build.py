"""A call from its legs (pure): who called, what was dialled, who answered, how it ended, its
talk and ring time, and its transfers, parks and pickups in order (docs/api.md, Calls)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from calldata.queues.stays import ABANDON, Stay
from calldata.store.calls import CallLeg

# (company, extension, device) behind a channel, or None (calldata.reports.roster.Roster.device)
DeviceOf = Callable[[str], tuple[str, str, str] | None]
Show = Callable[[datetime], str]

OUTCOMES = {"ANSWERED": "answered", "BUSY": "busy", "NOANSWER": "no answer", "CONGESTION": "congestion",
            "FAILED": "failed"}
ABANDONED = "abandoned"  # nobody answered and the caller hung up waiting in a queue (queue_log)
# An unanswered call ends as the most telling of its legs' dispositions.
_UNANSWERED = ("BUSY", "NOANSWER", "CONGESTION", "FAILED")


def _no_device(_channel: str) -> None:
    return None


def _is_local(channel: str) -> bool:
    return channel.startswith("Local/")


def outcome(legs: Sequence[CallLeg], queue: Sequence[Stay] = ()) -> str:
    """`answered` when any leg was answered; else `abandoned` when the caller last gave up waiting
    in a queue (its CDRs alone say no answer); else the first of busy, no answer, congestion,
    failed that a leg ended with (a failed dial's two rows, Dial and Hangup, say the same)."""
    dispositions = {leg.disposition for leg in legs}
    if "ANSWERED" in dispositions:
        return "answered"
    if queue and queue[-1].outcome == ABANDON:
        return ABANDONED
    for disposition in _UNANSWERED:
        if disposition in dispositions:
            return OUTCOMES[disposition]
    return OUTCOMES["FAILED"]


def _answerer(legs: Sequence[CallLeg], device: DeviceOf) -> dict[str, Any] | None:
    """The first party that took the call: the first answered leg to a phone or line (not a Local half)."""
    for leg in legs:
        if leg.disposition == "ANSWERED" and leg.dstchannel and not _is_local(leg.dstchannel) and not leg.is_pick:
            found = device(leg.dstchannel)
            # a transfer rewrites the first leg's dst: the device tells who answered it
            return {"extension": found[1] if found else "", "number": found[1] if found else leg.dial_full or leg.dst,
                    "company": found[0] if found else leg.target or ""}
    return None


def _events(legs: Sequence[CallLeg], device: DeviceOf) -> list[dict[str, Any]]:
    """Transfers, parks (and retrievals) and pickups, in the order their legs started; an attended
    transfer's two legs to the new party (through the Local channel and direct) are one transfer."""
    events: list[dict[str, Any]] = []
    for leg in legs:
        if leg.is_park:
            kind = "unpark" if leg.lastapp == "ParkedCall" else "park"
            by = leg.src_ext if kind == "unpark" else leg.xfer or leg.src_ext
            events.append({"type": kind, "acctid": leg.acctid, "by": by or "", "slot": leg.dial_short or ""})
        elif leg.xfer:
            found = device(leg.dstchannel)
            to = found[1] if found else leg.dial_short or leg.dst
            if not any(e["type"] == "transfer" and e["by"] == leg.xfer and e["to"] == to for e in events[-1:]):
                events.append({"type": "transfer", "acctid": leg.acctid, "by": leg.xfer, "to": to})
        elif leg.is_pick and leg.dstchannel:  # the rung phone's own pickup record has no Party B
            found = device(leg.dstchannel)
            events.append({"type": "pickup", "acctid": leg.acctid, "by": found[1] if found else "",
                           "of": leg.dial_short or ""})
    return events


def build(call: str, legs: Sequence[CallLeg], show: Show, device: DeviceOf = _no_device,
          changed: int | None = None, first_id: int | None = None, queue: Sequence[Stay] = ()) -> dict[str, Any]:
    """One call's entry from its legs in (calldate, acctid) order; `show` formats an instant;
    `first_id` is the call's lowest acctid when `legs` are only those a reader may see; `queue`
    the stays in queues of its legs' callers, in entry order (calldata.queues.stays).

    Talk time runs from the first answer to the call's end (hold and park included: the caller's
    line is up), ring time from the start to the first answer (to the end when never answered).
    """
    first = legs[0]
    start = first.calldate
    end = max((leg.end or leg.calldate for leg in legs), default=start)
    answers = [leg.answer for leg in legs if leg.disposition == "ANSWERED" and leg.answer is not None]
    answered = min(answers) if answers else None
    return {
        "call": call,
        "firstID": min(leg.acctid for leg in legs) if first_id is None else first_id,
        "changed": changed,
        "start": show(start),
        "end": show(end),
        "caller": {"number": first.src, "company": first.company or "", "extension": first.src_ext or ""},
        "dialled": first.dial_full or first.dst,
        "answered": _answerer(legs, device),
        "outcome": outcome(legs, queue),
        "talk": int((end - answered).total_seconds()) if answered else 0,
        "ring": max(0, int(((answered or end) - start).total_seconds())),
        "events": _events(legs, device),
        "queue": [{"queue": stay.queue, "outcome": stay.outcome, "wait": stay.wait} for stay in queue],
        "legs": sorted(leg.acctid for leg in legs),
    }
