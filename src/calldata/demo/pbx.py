"""The directory compiled for generating calls: each company's users, DDIs, IVRs, queues and
trunks, what kinds of call it can make, and how often each kind is made."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from calldata.attribution.directory import Company, Directory, park_spaces

# Relative number of calls per call kind (before dropping the kinds a directory cannot make).
KIND_WEIGHTS: dict[str, float] = {
    "internal": 20.0,  # a user calls a colleague, answered
    "internal_noanswer": 4.0,  # ... not answered: ring timeout (+ Hangup row) or the caller gives up
    "internal_busy": 2.0,
    "internal_failed": 1.0,  # the phone is unregistered (cause 20)
    "outbound": 24.0,  # a user calls an external number through the company's trunk
    "outbound_noanswer": 4.0,
    "outbound_busy": 2.0,
    "outbound_congestion": 1.0,
    "inbound": 10.0,  # an external caller rings a DDI that points at a user, answered
    "inbound_noanswer": 3.0,
    "inbound_busy": 1.0,
    "ivr_extension": 6.0,  # DDI -> IVR menu -> an extension, answered
    "ivr_hangup": 2.0,  # the caller hangs up in the menu
    "queue": 4.0,  # DDI -> IVR option -> queue, an agent answers
    "queue_abandon": 1.0,
    "huntgroup": 4.0,  # DDI -> hunt group: one row per phone rung
    "huntgroup_noanswer": 1.0,
    "transfer": 2.0,  # a blind transfer to a colleague
    "transfer_external": 1.0,  # an inbound call blind-transferred to an external number
    "park": 1.0,  # parked, then retrieved by a colleague
    "park_timeout": 0.3,  # parked, nobody retrieves it: the park comes back to the parker
    "pickup_directed": 1.0,  # **EXT
    "pickup_group": 1.0,  # *8
    "disa": 0.5,  # remote dial-in with an auth code, then out through a trunk
    "forward": 1.0,  # a call to a user forwarded to their mobile
    "voicemail": 2.0,  # a user checks their voicemail
    "company_to_company": 1.0,  # one company calls another's DDI: out through a trunk and back in
}

RING_TIMEOUT = 20  # Dial(...,20) to phones, as on the recorded PBX

_FIRST = ("John", "Priya", "Tom", "Sarah", "Mike", "Dave", "Lucy", "Emma", "Olivia", "James",
          "Amir", "Chen", "Fatima", "George", "Hannah", "Ivan", "Julia", "Kofi", "Laura", "Mohammed",
          "Nina", "Oscar", "Paul", "Rachel", "Sam", "Tariq", "Uma", "Victor", "Wendy", "Yusuf")
_LAST = ("Smith", "Patel", "Baker", "Connor", "Ross", "Lister", "Grey", "Jones", "Taylor", "Brown",
         "Wilson", "Evans", "Khan", "Wright", "Walker", "Green", "Hughes", "Edwards", "Lewis", "Hill",
         "Clarke", "Ward", "Murphy", "Kelly", "Price", "Bennett", "Cooper", "Wood", "Turner", "Singh")
# Fictional numbers (Ofcom's drama ranges and their like): (national prefix, digits that follow).
NATIONAL = (("07700900", 3), ("01632960", 3), ("01134960", 3), ("01174960", 3),
             ("02079460", 3), ("01314960", 3), ("02890180", 3), ("07700900", 3))
INTERNATIONAL = (("00331445566", 2), ("003531555", 4), ("0012125550", 3), ("00496930", 5))


class Caller(NamedTuple):
    """Who starts a leg: their accountcode, number, caller id text and channel prefix."""

    account: str
    number: str
    clid: str
    channel: str


@dataclass(slots=True, eq=False)
class User:
    """A user extension with phones: who places and answers generated calls."""

    company: Tenant
    ext: str
    name: str
    devices: tuple[str, ...]
    dial: str  # Dial()'s arguments for this extension
    record: bool = False
    forward: str = ""  # national number the user forwards to
    clid: str = ""
    caller: Caller = None  # type: ignore[assignment]  # the user placing a call from their first device

    def __post_init__(self) -> None:
        self.clid = f'"{self.name}" <{self.ext}>'
        self.caller = Caller(self.company.id, self.ext, self.clid, self.devices[0])


@dataclass(slots=True, eq=False)
class Tenant:
    """A company of the directory as the generator uses it: its contexts, trunks and what its DDIs reach."""

    id: str
    number: int  # 1-based position in the directory (the predial handler's second argument)
    context: str
    ivr_context: str
    dialin_context: str
    outside_prefix: str
    presentation: str  # the main DDI, presented on outbound calls
    out_trunk: str  # channel prefix of the trunk outbound calls leave through
    in_trunk: str  # channel prefix of the trunk its DDIs arrive on
    users: list[User] = field(default_factory=list)
    user_ddis: list[tuple[str, User]] = field(default_factory=list)
    ivrs: list[tuple[str, str]] = field(default_factory=list)  # (DDI, IVR extension)
    hunts: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)  # (DDI, ext, devices)
    queues: list[str] = field(default_factory=list)
    park: tuple[str, range] | None = None
    group_pickup: str = ""
    directed_pickup: str = ""
    voicemail: str = ""
    dialins: list[str] = field(default_factory=list)  # DDIs of dial-in (DISA) extensions


def dial_data(devices: tuple[str, ...], company: str, number: int) -> str:
    """Dial()'s arguments for these devices, with the predial handler that names the company."""
    return f"{'&'.join(devices)},{RING_TIMEOUT},tTkKb(predial-device^s^1({company},{number}))"


def _pick_context(company: Company, word: str) -> str:
    return next((c for c in company.contexts if word in c), company.contexts[0] if company.contexts else "")


class Pbx:
    """The directory compiled for generating: companies, users, DDIs by kind, trunks."""

    def __init__(self, directory: Directory, rng: random.Random) -> None:
        self.system = directory.system
        shared = [t.channels[0] for t in directory.trunks.values() if t.company is None and t.channels]
        own = {t.company: t.channels[0] for t in directory.trunks.values() if t.company and t.channels}
        self.companies: list[Tenant] = []
        by_id: dict[str, Tenant] = {}
        for number, (cid, company) in enumerate(directory.companies.items(), start=1):
            # Out through the company's own trunk when it has one; DDIs come in from the carrier
            # (a shared trunk) when there is one, since a call in on a company's own trunk would be
            # that company calling.
            out_trunk = own.get(cid) or (shared[0] if shared else "")
            in_trunk = shared[0] if shared else own.get(cid, "")
            comp = Tenant(
                id=cid,
                number=number,
                context=company.contexts[0] if company.contexts else cid,
                ivr_context=_pick_context(company, "ivr") or cid,
                dialin_context=_pick_context(company, "dialin") or cid,
                outside_prefix=company.outside_prefix,
                presentation=next(iter(company.ddis), ""),
                out_trunk=out_trunk,
                in_trunk=in_trunk,
            )
            users: dict[str, User] = {}
            for ext, extension in company.extensions.items():
                if extension.type == "user" and extension.devices:
                    devices = tuple(extension.devices)
                    users[ext] = User(comp, ext, extension.name, devices, dial_data(devices, cid, number))
                elif extension.type == "queue":
                    comp.queues.append(ext)
                elif extension.type == "park" and extension.spaces and comp.park is None:
                    comp.park = (ext, park_spaces(extension.spaces))
                elif extension.type == "pickup":
                    if extension.prefix:
                        comp.directed_pickup = comp.directed_pickup or ext
                    else:
                        comp.group_pickup = comp.group_pickup or ext
                elif extension.type == "voicemail":
                    comp.voicemail = comp.voicemail or ext
            comp.users = list(users.values())
            # A hunt group without devices rings the first two users, as on the recorded PBX.
            member_devices = tuple(u.devices[0] for u in comp.users[:2])
            for ddi, ext in company.ddis.items():
                extension = company.extensions[ext]
                if ext in users:
                    comp.user_ddis.append((ddi, users[ext]))
                elif extension.type == "ivr":
                    comp.ivrs.append((ddi, ext))
                elif extension.type == "huntgroup":
                    devices = tuple(extension.devices) or member_devices
                    if devices:
                        comp.hunts.append((ddi, ext, devices))
                elif extension.type == "dialin":
                    comp.dialins.append(ddi)
            if comp.users:  # someone records their calls, someone forwards to a mobile
                rng.choice(comp.users).record = True
                for user in comp.users:
                    user.record = user.record or rng.random() < 0.15
                rng.choice(comp.users).forward = "07700900" + f"{rng.randrange(1000):03d}"
            self.companies.append(comp)
            by_id[cid] = comp
        self.auth_codes = [(code, by_id[a.company]) for code, a in directory.auth_codes.items()
                           if by_id[a.company].out_trunk]
        self.dialins = [(ddi, c) for c in self.companies for ddi in c.dialins if c.in_trunk]
        self.callers = [self._external_caller(rng) for _ in range(3000)]

    @staticmethod
    def _external_caller(rng: random.Random) -> tuple[str, str]:
        prefix, digits = rng.choice(NATIONAL)
        number = prefix + str(rng.randrange(10**digits)).zfill(digits)
        name = "" if rng.random() < 0.3 else f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        return number, f'"{name}" <{number}>'

    def national(self, ddi: str) -> str:
        """441908276650 -> 01908276650: how the carrier presents a number of this country."""
        cc = self.system.country_code
        if ddi.startswith(cc):
            return self.system.national_prefix + ddi[len(cc):]
        return self.system.international_prefix + ddi

    def eligible(self, kind: str) -> list[Tenant]:
        """The companies that can make a call of this kind (empty: the directory cannot)."""
        test = _ELIGIBLE[kind]
        return [c for c in self.companies if test(self, c)]


_ELIGIBLE: dict[str, Callable[[Pbx, Tenant], bool]] = {
    "internal": lambda p, c: len(c.users) >= 2,
    "outbound": lambda p, c: bool(c.users and c.out_trunk),
    "inbound": lambda p, c: bool(c.user_ddis and c.in_trunk),
    "ivr_extension": lambda p, c: bool(c.ivrs and c.users and c.in_trunk),
    "ivr_hangup": lambda p, c: bool(c.ivrs and c.in_trunk),
    "queue": lambda p, c: bool(c.ivrs and c.queues and c.users and c.in_trunk),
    "huntgroup": lambda p, c: bool(c.hunts and c.in_trunk),
    "transfer": lambda p, c: len(c.users) >= 3 or (len(c.users) >= 2 and bool(c.user_ddis and c.in_trunk)),
    "transfer_external": lambda p, c: bool(c.user_ddis and c.in_trunk and c.out_trunk),
    "park": lambda p, c: c.park is not None and _ELIGIBLE["transfer"](p, c),
    "pickup_directed": lambda p, c: bool(c.directed_pickup) and len(c.users) >= 3,
    "pickup_group": lambda p, c: bool(c.group_pickup) and len(c.users) >= 3,
    "disa": lambda p, c: any(comp is c for _, comp in p.auth_codes) and bool(p.dialins),
    "forward": lambda p, c: bool(c.out_trunk) and any(u.forward for u in c.users)
    and (len(c.users) >= 2 or bool(c.in_trunk and (c.ivrs or c.user_ddis))),
    "voicemail": lambda p, c: bool(c.voicemail and c.users),
    "company_to_company": lambda p, c: bool(c.users and c.out_trunk and c.presentation)
    and any(o is not c and o.user_ddis and o.in_trunk for o in p.companies),
}
for _kind in KIND_WEIGHTS:  # the variants of a kind need what the kind needs
    if _kind not in _ELIGIBLE:
        _ELIGIBLE[_kind] = _ELIGIBLE[_kind.rsplit("_", 1)[0]]


def mix(directory: Directory) -> dict[str, float]:
    """The share of calls of each kind the generator makes for this directory (sums to 1; empty
    when it can make none: no company with users, DDIs or trunks)."""
    pbx = Pbx(directory, random.Random(0))
    weights = {k: w for k, w in KIND_WEIGHTS.items() if pbx.eligible(k)}
    total = sum(weights.values())
    return {k: w / total for k, w in weights.items()}
