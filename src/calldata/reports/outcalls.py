"""outcalls: per device of a company, the legs it placed (reports.md), each priced leg with its cost."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from calldata.rating.money import MAX_PRECISION, from_micros
from calldata.rating.rater import UNRATED
from calldata.reports.detail import detail, picked_up
from calldata.reports.query import Leg
from calldata.reports.roster import Roster


def _entry(roster: Roster, company: str, extension: str, device: str) -> dict[str, Any]:
    return {"name": roster.name(company, extension), "device": device, "extension": extension,
            "calls": [], "totals": {}}


def outcalls(legs: Sequence[Leg], roster: Roster, company: str, deviceids: Sequence[str] = ()) -> dict[str, Any]:
    """Device -> {name, device, extension, calls, totals}: `legs` are the company's legs out
    (company side), in time order. A leg counts for the device that is its Party A, unless it
    is plumbing (see `_placed`).
    Devices named in `deviceids` are present even without calls."""
    wanted = {d.lower() for d in deviceids}
    report: dict[str, Any] = {}
    for key in sorted(wanted):
        cid, ext, device = roster.devices[key]
        report[device] = _entry(roster, cid, ext, device)
    taken = picked_up(legs, roster)
    for leg in legs:
        caller = roster.device(leg.channel)
        if caller is None or caller[0] != company or (wanted and caller[2].lower() not in wanted):
            continue
        if not _placed(leg):
            continue
        _, ext, device = caller
        entry = report.get(device)
        if entry is None:  # (not setdefault: that would build an entry for every leg)
            entry = report[device] = _entry(roster, company, ext, device)
        call = {
            "acctid": leg.acctid,
            "calldate": leg.calldate,
            "dialled": leg.dial_full or "",
            "dial_short": leg.dial_short or "",
            "type": "External" if leg.trunk or leg.target == "" else "Internal",
            "trunk": leg.trunk or "",
            "duration": leg.duration,
            "billsecs": leg.billsec,
            "detail": detail(leg, taken.get(leg.acctid)),
        }
        entry["calls"].append(call)
        if leg.price is not None and leg.currency:
            cost = from_micros(leg.price, MAX_PRECISION if leg.precision is None else leg.precision)
            call.update(type=leg.destination_kind or call["type"], cost=str(cost), currency=leg.currency,
                        destination=leg.destination or "")
        elif leg.rating == UNRATED:
            call["rated"] = False
    for entry in report.values():
        add_up(entry)
    return report


def add_up(entry: dict[str, Any]) -> None:
    """Set a device's `totals` from its calls (again when days are joined: reports.days)."""
    spent: dict[str, Decimal] = {}  # currency -> its calls' prices summed
    for call in entry["calls"]:
        if "cost" in call:
            spent[call["currency"]] = spent.get(call["currency"], Decimal(0)) + Decimal(call["cost"])
    entry["totals"] = {"calls": len(entry["calls"]), "billsecs": sum(call["billsecs"] for call in entry["calls"]),
                       **(total_cost(spent) if spent else {})}


def total_cost(spent: dict[str, Decimal]) -> dict[str, Any]:
    """`totals` members for the prices of a device's calls: `cost` (decimal text: exact, as each
    call's) and `currency`; or, when its calls were priced in several currencies, `cost` as an
    object of currency -> amount (a sum across currencies would mean nothing)."""
    if len(spent) == 1:
        [(currency, amount)] = spent.items()
        return {"cost": str(amount), "currency": currency}
    return {"cost": {currency: str(amount) for currency, amount in sorted(spent.items())}}


def _placed(leg: Leg) -> bool:
    """Whether a leg is a call its Party A placed. Rows without Party B that are not: the record
    Asterisk writes of a pickup (on the rung phone's channel), the parking record (on the parked
    caller's channel: parked, not placing a call), the zero-length `Hangup` row after
    a failed dial (the dial's own row is the call), and a row with nothing dialled (the
    transferrer back with the caller after aborting an attended transfer: the caller's call)."""
    if leg.dstchannel:
        return True
    if leg.is_pick or not leg.dst or leg.lastapp.lower() == "park":
        return False
    return not (leg.lastapp.lower() == "hangup" and leg.billsec == 0)
