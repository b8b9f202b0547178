"""The decision itself: the legs of one call + the directory -> the properties of every leg.

Pure code: no I/O, no clock. `decide` takes any records with the `Cdr` field names (`Cdr`
structs, database rows with `calldate` labelled `start`) and answers, per leg, a list in the
order of `PROPERTIES`: text properties are str, or None when Asterisk's data cannot decide
them; flags are bool. docs/attribution.md explains every rule in prose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from calldata import collector
from calldata.attribution import calls
from calldata.attribution.channels import DEVICE, LOCAL, NONE, TRUNK, Party, resolve
from calldata.attribution.lookup import Lookup
from calldata.attribution.numbers import full_form, international
from calldata.attribution.relations import ALONE, relations
from calldata.store.schema import PROPERTY_FLAGS, PROPERTY_TEXT

PROPERTIES: tuple[str, ...] = PROPERTY_TEXT + PROPERTY_FLAGS
_INDEX = {name: i for i, name in enumerate(PROPERTIES)}
_FLAG_INDEX = frozenset(_INDEX[name] for name in PROPERTY_FLAGS)

IVR_APPS = frozenset({"background", "waitexten", "read"})
PARK_APPS = frozenset({"park", "parkedcall"})
PICKUP_APPS = frozenset({"pickup", "pickupchan"})
AUTH_APPS = frozenset({"disa", "authenticate"})
# Where res_parking sends a parked call that timed out: its own dial context, and the default
# `comebackcontext` of res_parking.conf.
COMEBACK_CONTEXTS = frozenset({"park-dial", "parkedcallstimeout"})
_TRUE = frozenset({"1", "true", "yes", "y", "on"})
# The dialplan's own extensions (start, invalid, timeout, hangup...): they belong to the context.
SPECIAL_EXTENSIONS = frozenset({"s", "i", "t", "T", "h", "e", "a", "o"})


class Leg(Protocol):
    """The CDR fields attribution reads (a `Cdr`, or a stored row with `start`)."""

    start: datetime
    answer: datetime | None
    end: datetime | None
    src: str
    dst: str
    dcontext: str
    channel: str
    dstchannel: str
    lastapp: str
    lastdata: str
    disposition: str
    accountcode: str
    userfield: str
    linkedid: str
    uniqueid: str


def spans(legs: Sequence[Leg]) -> list[tuple[int, int]]:
    """Each leg's (start, end) in epoch seconds; a missing end is the start."""
    out = []
    for leg in legs:
        start = int(leg.start.timestamp())
        end = leg.end
        out.append((start, start if end is None else int(end.timestamp())))
    return out


def decide(legs: Sequence[Leg], lookup: Lookup | None) -> tuple[list[str], list[list[Any] | None]]:
    """Group `legs` into calls and decide each leg: (call id per leg, properties per leg).

    With no directory (`lookup` None) the calls are still grouped and properties stay None.
    """
    with collector.paused():
        times = spans(legs)
        call_of = [""] * len(legs)
        props: list[list[Any] | None] = [None] * len(legs)
        for call_id, indices in calls.group(legs, times):
            if len(indices) == 1:  # most calls: no per-call lists to build
                i = indices[0]
                call_of[i] = call_id
                if lookup is not None:
                    props[i] = decide_call((legs[i],), (times[i],), lookup)[0]
                continue
            for i in indices:
                call_of[i] = call_id
            if lookup is not None:
                decided = decide_call([legs[i] for i in indices], [times[i] for i in indices], lookup)
                for i, values in zip(indices, decided):
                    props[i] = values
        return call_of, props


def _userfield(userfield: str) -> dict[str, str]:
    """`call_rec=x.wav;xfer=202` -> the entries named after a property (taken as given)."""
    given = {}
    for part in userfield.replace("|", ";").split(";"):
        key, eq, value = part.partition("=")
        key = key.strip().lower()
        if eq and key in _INDEX:
            given[key] = value.strip()
    return given


def _park_space(lookup: Lookup, leg: Leg, home: str) -> str:
    """The park space of a Park/ParkedCall record: `acme:701` / `acme,701` / `701` in lastdata."""
    numbers = lookup.companies.get(home)
    for token in re.split(r"[:,@|/]", leg.lastdata):
        token = token.strip()
        if token.isdigit() and (numbers is None or token in numbers.park or token in lookup.park_space_owner):
            return token
    return leg.dst


def _flattened_device(lookup: Lookup, dst: str) -> Party:
    """res_parking's comeback dials `SIP_alice` for the parker's device `SIP/alice`."""
    tech, sep, rest = dst.partition("_")
    device = lookup.devices.get(f"{tech}/{rest}".lower()) if sep else None
    return (DEVICE, device[0], device[1], "") if device is not None else (NONE, "", "", "")


def decide_call(legs: Sequence[Leg], times: Sequence[tuple[int, int]], lookup: Lookup) -> list[list[Any]]:
    """The properties of every leg of one call (the legs in any order)."""
    n = len(legs)
    a_party: list[Party] = []
    b_party: list[Party] = []
    apps: list[str] = []
    kinds: list[tuple[str, bool, bool]] = []
    pickups: list[bool] = []  # the pickup record: `dst` a pickup code of the context's company, or Pickup()
    companies = lookup.companies
    for leg in legs:  # one loop, not five comprehensions: most calls have a single leg
        a_party.append(resolve(lookup, leg.channel))
        b_party.append(resolve(lookup, leg.dstchannel))
        app = leg.lastapp.lower()
        apps.append(app)
        kind = lookup.context_kind(leg.dcontext)
        kinds.append(kind)
        pickups.append(app in PICKUP_APPS or (kind[0] != "" and companies[kind[0]].is_pickup(leg.dst)))
    rel = relations(legs, times, b_party, a_party, pickups) if n > 1 else ALONE
    prev, xfer, picked, rewritten, consulted, later, reached = \
        rel.prev, rel.xfer, rel.picked, rel.rewritten, rel.consulted, rel.later, rel.reached

    auth_codes, ddis = lookup.auth_codes, lookup.ddis
    out = []
    for i in range(n):
        leg = legs[i]
        a_kind, a_company, a_ext, a_trunk = a_party[i]
        b = b_party[i]
        b_kind, b_company, b_ext, b_trunk = b
        app = apps[i]
        dst = leg.dst
        accountcode = leg.accountcode
        context_company, ivr_context, dialin_context = kinds[i]
        xfer_ext, xfer_company = xfer[i]

        # Dial-in authentication.
        code = auth_codes.get(accountcode)
        is_auth = a_kind != DEVICE and (
            app in AUTH_APPS or code is not None or dialin_context
            or (context_company != "" and companies[context_company].extensions.get(dst) == "dialin"))
        auth = code[1] if is_auth and code is not None else ""

        # The calling company.
        company: str | None
        if a_kind == DEVICE or (a_kind == LOCAL and a_company):
            company = a_company
        elif a_kind == TRUNK:
            if a_company:
                company = a_company
            elif is_auth and code is not None:
                company = code[0]
            else:
                caller = ddis.get(international(lookup, leg.src)) if leg.src else None
                company = caller[0] if caller is not None else ""
        elif accountcode in companies:
            company = accountcode
        else:
            company = None

        home = context_company or company or b_company or ""
        numbers = companies.get(home)

        # Park, pickup, comeback.
        is_park = app in PARK_APPS
        p = prev[i]
        after_park = p is not None and apps[p] == "park"
        comeback = leg.dcontext in COMEBACK_CONTEXTS
        if after_park and not comeback and b_kind == DEVICE:
            comeback = (b_ext, b_company) == xfer[p]  # type: ignore[index]  # rings the parker
        recall = xfer_ext != "" and b_kind == DEVICE and (b_ext, b_company) == (xfer_ext, xfer_company)
        is_bounce = comeback or recall
        is_pick = picked[i] or pickups[i]

        # What was dialled.
        rung = (b if b_kind == DEVICE else _flattened_device(lookup, dst)) if comeback else b
        if is_park:
            dial_short = _park_space(lookup, leg, home)
        elif comeback:
            dial_short = rung[2] if rung[0] == DEVICE else dst
        elif after_park:
            dial_short = _park_space(lookup, legs[p], home)  # type: ignore[index]
        elif consulted[i] is not None:
            dial_short = consulted[i]
        elif not dst and b_kind == LOCAL and b_ext:
            dial_short = b_ext  # the consultation of an attended transfer: the Local's extension
        elif not dst and reached[i] is not None:
            dial_short = reached[i]
        elif rewritten[i] and b_kind == DEVICE and b_ext:
            dial_short = b_ext
        else:
            dial_short = dst

        sent = lookup.sent_number(leg.lastdata) if b_kind == TRUNK else None
        if sent is not None and sent[1]:
            dial_full = international(lookup, sent[1])
        else:
            dial_full = full_form(lookup, dial_short, numbers)

        # The company called.
        target: str | None
        if rung[0] == DEVICE or (b_kind == LOCAL and b_company):
            target = rung[1]
        elif b_kind == TRUNK:
            hosted = ddis.get(dial_full)
            target = hosted[0] if hosted is not None else ""
        else:
            target = _owner(lookup, dst, dial_short, context_company, numbers)

        # The trunk, and who pays.
        bill_to: str | None
        if b_kind != TRUNK:
            trunk = a_trunk if a_kind == TRUNK else ""
            bill_to = ""
        else:
            trunk = b_trunk
            if is_auth and code is not None:
                bill_to = code[0]
            elif company:
                bill_to = company
            elif xfer_company:
                bill_to = xfer_company
            elif context_company:
                bill_to = context_company  # forwarded by one of its extensions, or routed out by it
            elif accountcode in companies:
                bill_to = accountcode
            else:
                bill_to = None

        is_ivr = (
            app in IVR_APPS
            or ivr_context
            or (numbers is not None and numbers.extensions.get(dst) == "ivr")
            or (a_kind == TRUNK and not is_auth and b_kind != NONE and leg.answer is not None
                and not later[i] and int(leg.answer.timestamp()) == times[i][0])
        )

        values: list[Any] = [
            company, target, a_ext if a_kind == DEVICE else "", dial_short, dial_full, trunk,
            bill_to, xfer_ext, auth, "", is_ivr, is_park, is_pick, is_auth, is_bounce,
        ]
        if "=" in leg.userfield:
            for key, value in _userfield(leg.userfield).items():
                index = _INDEX[key]
                values[index] = value.lower() in _TRUE if index in _FLAG_INDEX else value
        out.append(values)
    return out


def _owner(lookup: Lookup, dst: str, dial_short: str, context_company: str, numbers: Any) -> str | None:
    """With no Party B: the company that owns what was dialled, "" for an outside number."""
    if context_company and (dst in SPECIAL_EXTENSIONS or lookup.companies[context_company].owns(dst)
                            or lookup.companies[context_company].owns(dial_short)):
        return context_company
    full = full_form(lookup, dst, numbers)
    hosted = lookup.ddis.get(full)
    if hosted is not None:
        return hosted[0]
    owner = lookup.park_space_owner.get(dial_short)
    if owner is not None:
        return owner
    if full.isdigit() and full != dst or len(full) >= 7 and full.isdigit():
        return ""  # an outside number that is not ours
    return None
