"""incalls: per extension of a company, the legs that rang one of its devices (reports.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from calldata.queues.stays import ABANDON, Stay, leg_stay
from calldata.reports.detail import detail, picked_up
from calldata.reports.query import Leg
from calldata.reports.roster import Roster


def ringtime(leg: Leg) -> int:
    """Seconds from the leg's start to its answer, or to its end when it was not answered (a
    queue member's unanswered leg carries the answer time of the IVR that answered the caller)."""
    until = leg.answer if leg.disposition == "ANSWERED" and leg.answer else leg.end
    if until is None:
        return leg.duration
    return max(0, until - leg.calldate)


def queued(leg: Leg, stays: Mapping[str, Sequence[Stay]]) -> tuple[str, str, int | None]:
    """(qtime, qstatus, abandoned after): seconds waited in a queue before this leg rang, as text,
    and the queue's outcome (calldata.queues.stays.OUTCOMES), when the call came through a queue,
    else ("", ""); and the seconds after which the caller gave up, when it did."""
    found = leg_stay(stays.get(leg.uniqueid, ()), leg.lastapp, leg.calldate)
    if found is None:
        return "", "", None
    stay, waited = found
    return str(waited), stay.outcome, stay.wait if stay.outcome == ABANDON else None


def incalls(legs: Sequence[Leg], roster: Roster, company: str, extensions: Sequence[str] = (),
            stays: Mapping[str, Sequence[Stay]] | None = None) -> dict[str, Any]:
    """Extension -> {name, calls}: `legs` are the company's legs in (target side), in time order;
    `stays` their callers' queue stays by callid (calldata.queues.stays.by_caller).

    A leg counts for the extension whose device is its Party B (for a hunt group or queue leg,
    the member rung). Extensions named in `extensions` are present even without calls.
    """
    stays = stays or {}
    taken = picked_up(legs, roster)
    report: dict[str, Any] = {ext: {"name": roster.name(company, ext), "calls": []} for ext in extensions}
    for leg in legs:
        device = roster.device(leg.dstchannel)
        if device is None or device[0] != company or (extensions and device[1] not in extensions):
            continue
        ext = device[1]
        forwarded = (
            leg.dial_short
            if leg.dial_short and leg.dial_short != ext and roster.is_user(company, leg.dial_short)
            else None
        )
        entry = report.get(ext)
        if entry is None:  # (not setdefault: that would build an entry for every leg)
            entry = report[ext] = {"name": roster.name(company, ext), "calls": []}
        qtime, qstatus, abandoned = queued(leg, stays)
        entry["calls"].append({
            "acctid": leg.acctid,
            "calldate": leg.calldate,
            "caller": leg.src or leg.src_ext or "",
            "type": "Internal" if roster.internal(leg.channel) else "External",
            "ringtime": ringtime(leg),
            "billsecs": leg.billsec if leg.disposition == "ANSWERED" else 0,  # (a queue's IVR answered the caller)
            "detail": detail(leg, taken.get(leg.acctid), forwarded, abandoned),
            "qtime": qtime,
            "qstatus": qstatus,
        })
    return report
