"""Realistic Asterisk 22 CDRs for the companies of a directory, shaped like the recorded stories.

Every kind of call is written the way real Asterisk writes it (the recordings in `tests/data/asterisk-real/`):
channel names with their unique suffix, `lastapp`/`lastdata` of the dialplan behind the example
PBX, `<epoch>.<counter>` uniqueids, global CDR sequence numbers, the extra zero-length `Hangup`
row after a failed dial, `dst` rewritten by a blind transfer, the parking and pickup records,
DISA's auth code as `accountcode`, `call_rec=` in `userfield`. Calls follow office hours in the
PBX's time zone, weekdays busier than weekends, and rows come out in the order Asterisk writes
them (a call's rows when it ends). The same directory, seed and start give the same rows.

The core is `calls`: one `Call` (its kind and rows) at a time, in start order; `generate` turns
those into the stream Asterisk would write.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import NamedTuple
from zoneinfo import ZoneInfo

from calldata.attribution.directory import Company, Directory, park_spaces
from calldata.cdr import Cdr
from calldata.demo.queue_log import QUEUE_TIMEOUT, queue_events
from calldata.queues.event import QueueEvent

DEFAULT_START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday: the default start is fixed, so a seed says it all

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

# Kinds whose calls are one row (with one device per phone).
_SINGLE_ROW = ("internal", "outbound", "inbound", "ivr_extension", "ivr_hangup", "queue", "voicemail",
               "forward", "disa")

RING_TIMEOUT = 20  # Dial(...,20) to phones, as on the recorded PBX
TRUNK_TIMEOUT = 60  # Dial(...,60) to trunks
PARKING_TIME = 45  # res_parking's default parkingtime
_TABLE = 8192  # ring and talk times drawn in advance
_SLACK = 3  # seconds a channel name stays unusable after its channel ends

# Calls per hour of a weekday, relative (local time of the PBX), and per day Monday..Sunday.
_HOURS = (0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.15, 0.6, 1.0, 1.0, 0.95,
          0.6, 0.75, 0.95, 0.9, 0.8, 0.45, 0.15, 0.08, 0.05, 0.04, 0.03, 0.02)
_DAYS = (1.0, 1.0, 1.0, 0.97, 0.9, 0.12, 0.06)

_FIRST = ("John", "Priya", "Tom", "Sarah", "Mike", "Dave", "Lucy", "Emma", "Olivia", "James",
          "Amir", "Chen", "Fatima", "George", "Hannah", "Ivan", "Julia", "Kofi", "Laura", "Mohammed",
          "Nina", "Oscar", "Paul", "Rachel", "Sam", "Tariq", "Uma", "Victor", "Wendy", "Yusuf")
_LAST = ("Smith", "Patel", "Baker", "Connor", "Ross", "Lister", "Grey", "Jones", "Taylor", "Brown",
         "Wilson", "Evans", "Khan", "Wright", "Walker", "Green", "Hughes", "Edwards", "Lewis", "Hill",
         "Clarke", "Ward", "Murphy", "Kelly", "Price", "Bennett", "Cooper", "Wood", "Turner", "Singh")
# Fictional numbers (Ofcom's drama ranges and their like): (national prefix, digits that follow).
_NATIONAL = (("07700900", 3), ("01632960", 3), ("01134960", 3), ("01174960", 3),
             ("02079460", 3), ("01314960", 3), ("02890180", 3), ("07700900", 3))
_INTERNATIONAL = (("00331445566", 2), ("003531555", 4), ("0012125550", 3), ("00496930", 5))


class Call(NamedTuple):
    """One call: its kind (a key of KIND_WEIGHTS), its rows in the order Asterisk writes them, and
    when its first leg started and its last leg ended (epoch seconds); a queue call's queue_log events."""

    kind: str
    rows: list[Cdr]
    start: int
    end: int
    events: tuple[QueueEvent, ...] = ()


class _Caller(NamedTuple):
    """Who starts a leg: their accountcode, number, caller id text and channel prefix."""

    account: str
    number: str
    clid: str
    channel: str


@dataclass(slots=True, eq=False)
class _User:
    company: _Company
    ext: str
    name: str
    devices: tuple[str, ...]
    dial: str  # Dial()'s arguments for this extension
    record: bool = False
    forward: str = ""  # national number the user forwards to
    clid: str = ""
    caller: _Caller = None  # type: ignore[assignment]  # the user placing a call from their first device

    def __post_init__(self) -> None:
        self.clid = f'"{self.name}" <{self.ext}>'
        self.caller = _Caller(self.company.id, self.ext, self.clid, self.devices[0])


@dataclass(slots=True, eq=False)
class _Company:
    id: str
    number: int  # 1-based position in the directory (the predial handler's second argument)
    context: str
    ivr_context: str
    dialin_context: str
    outside_prefix: str
    presentation: str  # the main DDI, presented on outbound calls
    out_trunk: str  # channel prefix of the trunk outbound calls leave through
    in_trunk: str  # channel prefix of the trunk its DDIs arrive on
    users: list[_User] = field(default_factory=list)
    user_ddis: list[tuple[str, _User]] = field(default_factory=list)
    ivrs: list[tuple[str, str]] = field(default_factory=list)  # (DDI, IVR extension)
    hunts: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)  # (DDI, ext, devices)
    queues: list[str] = field(default_factory=list)
    park: tuple[str, range] | None = None
    group_pickup: str = ""
    directed_pickup: str = ""
    voicemail: str = ""
    dialins: list[str] = field(default_factory=list)  # DDIs of dial-in (DISA) extensions


def _dial_data(devices: tuple[str, ...], company: str, number: int) -> str:
    return f"{'&'.join(devices)},{RING_TIMEOUT},tTkKb(predial-device^s^1({company},{number}))"


def _pick_context(company: Company, word: str) -> str:
    return next((c for c in company.contexts if word in c), company.contexts[0] if company.contexts else "")


class _Pbx:
    """The directory compiled for generating: companies, users, DDIs by kind, trunks."""

    def __init__(self, directory: Directory, rng: random.Random) -> None:
        self.system = directory.system
        shared = [t.channels[0] for t in directory.trunks.values() if t.company is None and t.channels]
        own = {t.company: t.channels[0] for t in directory.trunks.values() if t.company and t.channels}
        self.companies: list[_Company] = []
        by_id: dict[str, _Company] = {}
        for number, (cid, company) in enumerate(directory.companies.items(), start=1):
            # Out through the company's own trunk when it has one; DDIs come in from the carrier
            # (a shared trunk) when there is one, since a call in on a company's own trunk would be
            # that company calling.
            out_trunk = own.get(cid) or (shared[0] if shared else "")
            in_trunk = shared[0] if shared else own.get(cid, "")
            comp = _Company(
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
            users: dict[str, _User] = {}
            for ext, extension in company.extensions.items():
                if extension.type == "user" and extension.devices:
                    devices = tuple(extension.devices)
                    users[ext] = _User(comp, ext, extension.name, devices, _dial_data(devices, cid, number))
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
        prefix, digits = rng.choice(_NATIONAL)
        number = prefix + str(rng.randrange(10**digits)).zfill(digits)
        name = "" if rng.random() < 0.3 else f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        return number, f'"{name}" <{number}>'

    def national(self, ddi: str) -> str:
        """441908276650 -> 01908276650: how the carrier presents a number of this country."""
        cc = self.system.country_code
        if ddi.startswith(cc):
            return self.system.national_prefix + ddi[len(cc):]
        return self.system.international_prefix + ddi

    def eligible(self, kind: str) -> list[_Company]:
        """The companies that can make a call of this kind (empty: the directory cannot)."""
        test = _ELIGIBLE[kind]
        return [c for c in self.companies if test(self, c)]


_ELIGIBLE: dict[str, Callable[[_Pbx, _Company], bool]] = {
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
    pbx = _Pbx(directory, random.Random(0))
    weights = {k: w for k, w in KIND_WEIGHTS.items() if pbx.eligible(k)}
    total = sum(weights.values())
    return {k: w / total for k, w in weights.items()}


class _Maker:
    """Makes the rows of one call at a time; owns the counters Asterisk keeps across calls."""

    __slots__ = ("rng", "pbx", "zone", "kinds", "cumulative", "random", "rings", "talks", "single", "uid", "seq",
                 "horizon", "times", "hex", "iax", "parked", "makers", "logged")

    def __init__(self, directory: Directory, seed: int) -> None:
        self.rng = rng = random.Random(seed)
        self.pbx = _Pbx(directory, rng)
        self.zone = ZoneInfo(directory.system.timezone)
        self.kinds = [k for k in KIND_WEIGHTS if self.pbx.eligible(k)]
        if not self.kinds:
            raise ValueError("the directory has no company with users, DDIs or trunks to make calls with")
        self.cumulative = list(accumulate(KIND_WEIGHTS[k] for k in self.kinds))
        self.random = rng.random
        # Drawn once: a table lookup is several times cheaper than a draw from the distribution.
        self.rings = [1 + int(rng.expovariate(0.25)) for _ in range(_TABLE)]
        self.talks = [min(7200, 2 + int(rng.lognormvariate(4.2, 1.1))) for _ in range(_TABLE)]
        self.single = [k for k in _SINGLE_ROW if k in self.kinds] or self.kinds  # to end on exactly `rows`
        self.uid = 0  # Asterisk's channel counter (the part after the dot of a uniqueid)
        self.seq = 0  # the CDR sequence counter
        self.horizon = 0  # when the call being made ends
        self.logged: tuple[QueueEvent, ...] = ()  # the queue_log events of the call being made
        self.times: dict[int, datetime] = {}
        self.hex = 0  # chan_pjsip / chan_sip name counter
        self.iax: dict[int, int] = {}  # IAX2 call number -> second its channel ends
        self.parked: dict[tuple[str, int], int] = {}  # (company, space) -> second it frees
        # kind -> the companies that make it, their cumulative weights (bigger ones call more), its maker
        self.makers: dict[str, tuple[list[_Company], list[int], Callable[[_Company, int], list[Cdr]]]] = {}
        for kind in self.kinds:
            companies = self.pbx.eligible(kind)
            weights = list(accumulate(len(c.users) + 1 for c in companies))
            self.makers[kind] = (companies, weights, getattr(self, "_" + kind))

    # -- the plumbing every call uses ---------------------------------------------------------

    def call(self, t: int, kind: str | None = None) -> Call:
        """A call of the given kind, or of a kind drawn by weight, starting at second `t`."""
        if kind is None:
            kind = self.kinds[bisect(self.cumulative, self.random() * self.cumulative[-1])]
        companies, weights, maker = self.makers[kind]
        self.horizon = t
        self.logged = ()
        rows = maker(companies[bisect(weights, self.random() * weights[-1])], t)
        return Call(kind, rows, t, self.horizon, self.logged)

    def channel(self, prefix: str, start: int, end: int) -> str:
        """A channel name with the suffix its driver gives: IAX2 a free call number, others a hex counter."""
        if prefix.startswith("IAX2/"):
            rand, iax = self.random, self.iax
            for _ in range(64):
                number = 1 + int(rand() * 32767)
                if iax.get(number, -_SLACK) + _SLACK < start:
                    iax[number] = end
                    return f"{prefix}-{number}"
            # More channels at once than chan_iax2 has call numbers: beyond them, but never a
            # name still in use (two calls sharing a channel name would read as one call).
            number = 32768 + len(iax)
            iax[number] = end
            return f"{prefix}-{number}"
        self.hex += 1
        return f"{prefix}-{self.hex:08x}"

    def at(self, t: int) -> datetime:
        """Second `t` as a datetime, kept a while in `times`: the rows of a call share their times."""
        if len(self.times) > 4096:
            self.times.clear()
        moment = self.times[t] = datetime.fromtimestamp(t, UTC)
        return moment

    def uniqueid(self, t: int) -> str:
        self.uid += 1
        return f"{t}.{self.uid - 1}"

    def row(self, account: str, src: str, dst: str, context: str, clid: str, channel: str,
            dstchannel: str, app: str, data: str, start: int, answer: int | None, end: int,
            disposition: str, uniqueid: str, peer: str, linkedid: str, userfield: str = "") -> Cdr:
        seq = self.seq
        self.seq = seq + 2
        if end > self.horizon:
            self.horizon = end
        times, at = self.times, self.at
        return Cdr(
            start=times.get(start) or at(start),
            answer=None if answer is None else times.get(answer) or at(answer),
            end=times.get(end) or at(end),
            clid=clid, src=src, dst=dst, dcontext=context, channel=channel, dstchannel=dstchannel,
            lastapp=app, lastdata=data,
            duration=end - start,
            billsec=0 if answer is None else end - answer,
            disposition=disposition, amaflags=3, accountcode=account,
            uniqueid=uniqueid, linkedid=linkedid, peeraccount=peer, sequence=seq, userfield=userfield,
        )

    def pick(self, items: list | tuple):  # type: ignore[type-arg]
        return items[int(self.random() * len(items))]

    def ring(self, limit: int) -> int:
        """Seconds a phone rings before it is answered (mostly 2-8)."""
        return min(limit - 1, self.rings[int(self.random() * _TABLE)])

    def talk(self) -> int:
        """Seconds of conversation: log-normal, median about a minute, a long tail (2 h at most)."""
        return self.talks[int(self.random() * _TABLE)]

    def other(self, users: list[_User], *exclude: _User) -> _User:
        while True:
            user = self.pick(users)
            if user not in exclude:
                return user

    def external(self, c: _Company) -> _Caller:
        """An outside caller reaching company `c` on its inbound trunk."""
        number, clid = self.pick(self.pbx.callers)
        return _Caller("", number, clid, c.in_trunk)

    def destination(self) -> str:
        """An external number as a user dials it after the outside prefix (national, sometimes abroad)."""
        prefix, digits = self.pick(_INTERNATIONAL if self.random() < 0.06 else _NATIONAL)
        return prefix + str(int(self.random() * 10**digits)).zfill(digits)

    def recording(self, company: _Company, ext: str, number: str, t: int) -> str:
        stamp = datetime.fromtimestamp(t, self.zone).strftime("%Y%m%d-%H%M%S")
        return f"call_rec={company.id}-{stamp}-{ext}-{number}.wav"

    def failed_dial(self, first: Cdr, end: int) -> Cdr:
        """The Party-A-only `Hangup` row Asterisk adds when the dialplan goes on after a failed Dial."""
        return self.row(first.accountcode, first.src, first.dst, first.dcontext, first.clid, first.channel,
                        "", "Hangup", "", end, None, end, first.disposition, first.uniqueid, "",
                        first.linkedid, first.userfield)

    def unanswered(self, limit: int) -> tuple[int, bool]:
        """How long an unanswered dial rings and whether it timed out (else the caller gave up)."""
        if self.random() < 0.5:
            return limit, True
        return 2 + int(self.random() * (limit - 3)), False

    def dial_user(self, caller: _Caller, t: int, user: _User, dst: str, context: str,
                  disposition: str) -> list[Cdr]:
        """A caller dials a user's phone(s): one row per device, the answering one ANSWERED."""
        company = user.company
        uid = self.uniqueid(t)
        if disposition == "ANSWERED":
            answer = t + self.ring(RING_TIMEOUT)
            end = answer + self.talk()
            winner = int(self.random() * len(user.devices))
        elif disposition == "NOANSWER":
            ring, timed_out = self.unanswered(RING_TIMEOUT)
            answer, end, winner = None, t + ring, -1
        else:
            answer, end, winner = None, t + (self.random() < 0.2), -1
        chan = self.channel(caller.channel, t, end)
        if len(user.devices) == 1 and winner == 0:  # the common case, kept short
            return [self.row(caller.account, caller.number, dst, context, caller.clid, chan,
                             self.channel(user.devices[0], t, end), "Dial", user.dial, t, answer, end,
                             "ANSWERED", uid, company.id, uid)]
        rows = []
        for i, device in enumerate(user.devices):
            if i == winner:
                rows.append(self.row(caller.account, caller.number, dst, context, caller.clid, chan,
                                     self.channel(device, t, end), "Dial", user.dial, t, answer, end,
                                     "ANSWERED", uid, company.id, uid))
            else:
                stop = answer if answer is not None else end
                rows.append(self.row(caller.account, caller.number, dst, context, caller.clid, chan,
                                     self.channel(device, t, stop), "Dial", user.dial, t, None, stop,
                                     disposition if winner < 0 else "NOANSWER", uid, company.id, uid))
        if disposition in ("BUSY", "FAILED") or (disposition == "NOANSWER" and timed_out):
            rows.append(self.failed_dial(rows[-1], end))
        return rows

    # -- the kinds ----------------------------------------------------------------------------

    def _internal(self, c: _Company, t: int, disposition: str = "ANSWERED") -> list[Cdr]:
        caller = self.pick(c.users)
        callee = self.other(c.users, caller)
        return self.dial_user(caller.caller, t, callee, callee.ext, c.context, disposition)

    def _internal_noanswer(self, c: _Company, t: int) -> list[Cdr]:
        return self._internal(c, t, "NOANSWER")

    def _internal_busy(self, c: _Company, t: int) -> list[Cdr]:
        return self._internal(c, t, "BUSY")

    def _internal_failed(self, c: _Company, t: int) -> list[Cdr]:
        return self._internal(c, t, "FAILED")

    def _outbound(self, c: _Company, t: int, disposition: str = "ANSWERED") -> list[Cdr]:
        user = self.pick(c.users)
        number = self.destination()
        uid = self.uniqueid(t)
        if disposition == "ANSWERED":
            answer: int | None = t + self.ring(TRUNK_TIMEOUT)
            end = answer + self.talk()  # type: ignore[operator]
        elif disposition == "NOANSWER":
            ring, timed_out = self.unanswered(TRUNK_TIMEOUT)
            answer, end = None, t + ring
        else:
            answer, end = None, t
        userfield = self.recording(c, user.ext, number, t) if user.record else ""
        options = f"Tf({c.presentation})" if c.presentation else "T"
        rows = [self.row(c.id, user.ext, c.outside_prefix + number, c.context, user.clid,
                         self.channel(user.devices[0], t, end), self.channel(c.out_trunk, t, end), "Dial",
                         f"{c.out_trunk}/{number},{TRUNK_TIMEOUT},{options}", t, answer, end, disposition,
                         uid, c.id, uid, userfield)]
        if disposition != "ANSWERED" and (disposition != "NOANSWER" or timed_out):
            rows.append(self.failed_dial(rows[0], end))
        return rows

    def _outbound_noanswer(self, c: _Company, t: int) -> list[Cdr]:
        return self._outbound(c, t, "NOANSWER")

    def _outbound_busy(self, c: _Company, t: int) -> list[Cdr]:
        return self._outbound(c, t, "BUSY")

    def _outbound_congestion(self, c: _Company, t: int) -> list[Cdr]:
        return self._outbound(c, t, "CONGESTION")

    def _inbound(self, c: _Company, t: int, disposition: str = "ANSWERED") -> list[Cdr]:
        _, user = self.pick(c.user_ddis)
        caller = self.external(c)
        return self.dial_user(caller, t, user, user.ext, c.context, disposition)

    def _inbound_noanswer(self, c: _Company, t: int) -> list[Cdr]:
        return self._inbound(c, t, "NOANSWER")

    def _inbound_busy(self, c: _Company, t: int) -> list[Cdr]:
        return self._inbound(c, t, "BUSY")

    def _ivr_extension(self, c: _Company, t: int) -> list[Cdr]:
        """The IVR answers, the caller picks an extension: one row, answer == start, billsec with the menu."""
        caller = self.external(c)
        user = self.pick(c.users)
        end = t + 2 + int(self.random() * 12) + self.ring(RING_TIMEOUT) + self.talk()
        uid = self.uniqueid(t)
        return [self.row("", caller.number, user.ext, c.context, caller.clid, self.channel(caller.channel, t, end),
                         self.channel(self.pick(user.devices), t, end), "Dial", user.dial, t, t, end,
                         "ANSWERED", uid, c.id, uid)]

    def _ivr_hangup(self, c: _Company, t: int) -> list[Cdr]:
        _, ivr = self.pick(c.ivrs)
        caller = self.external(c)
        end = t + 2 + int(self.random() * 20)
        uid = self.uniqueid(t)
        return [self.row("", caller.number, ivr, c.ivr_context, caller.clid, self.channel(caller.channel, t, end),
                         "", "WaitExten", "8", t, t, end, "ANSWERED", uid, "", uid)]

    def _queue(self, c: _Company, t: int, abandon: bool = False) -> list[Cdr]:
        """Menu option -> Queue(): the agent who takes it is Party B; a caller who gives up has none
        (its queue_log, demo.queue_log, says ABANDON, or EXITWITHTIMEOUT after the queue's timeout)."""
        caller = self.external(c)
        queue = self.pick(c.queues)
        wait = 2 + int(self.random() * 10) + int(self.rng.expovariate(1 / 40))
        uid = self.uniqueid(t)
        data = f"{queue},t,,,{QUEUE_TIMEOUT}"
        members = [user.name for user in c.users]
        if abandon:
            end = t + min(wait, QUEUE_TIMEOUT)
            self.logged = tuple(queue_events(queue, uid, caller.number, t, wait, members, None, end))
            return [self.row("", caller.number, queue, c.context, caller.clid, self.channel(caller.channel, t, end),
                             "", "Queue", data, t, t, end, "ANSWERED", uid, "", uid)]
        agent = self.pick(c.users)
        wait = min(wait, QUEUE_TIMEOUT - 1)  # answered before the queue's timeout
        end = t + wait + self.talk()
        self.logged = tuple(queue_events(queue, uid, caller.number, t, wait, members, agent.name, end))
        return [self.row("", caller.number, queue, c.context, caller.clid, self.channel(caller.channel, t, end),
                         self.channel(agent.devices[0], t + wait, end), "Queue", data, t, t, end, "ANSWERED",
                         uid, c.id, uid)]

    def _queue_abandon(self, c: _Company, t: int) -> list[Cdr]:
        return self._queue(c, t, abandon=True)

    def _huntgroup(self, c: _Company, t: int, answered: bool = True) -> list[Cdr]:
        """Every phone of the group rings: one row each, those that lose end when the winner answers."""
        _, ext, devices = self.pick(c.hunts)
        caller = self.external(c)
        uid = self.uniqueid(t)
        data = _dial_data(devices, c.id, c.number)
        if answered:
            answer: int | None = t + self.ring(RING_TIMEOUT)
            end = answer + self.talk()  # type: ignore[operator]
            winner = int(self.random() * len(devices))
        else:
            answer, end, winner = None, t + RING_TIMEOUT, -1
        chan = self.channel(caller.channel, t, end)
        rows = []
        for i, device in enumerate(devices):
            won = i == winner
            stop = end if won or answer is None else answer
            rows.append(self.row("", caller.number, ext, c.context, caller.clid, chan,
                                 self.channel(device, t, stop), "Dial", data, t, answer if won else None, stop,
                                 "ANSWERED" if won else "NOANSWER", uid, c.id, uid))
        if not answered:
            rows.append(self.failed_dial(rows[-1], end))
        return rows

    def _huntgroup_noanswer(self, c: _Company, t: int) -> list[Cdr]:
        return self._huntgroup(c, t, answered=False)

    def answered_by(self, c: _Company, t: int, callee: _User,
                    internal: bool = True) -> tuple[_Caller, _User | None, int, int, str]:
        """A call to `callee` from a colleague or, through one of the callee's DDIs, from outside.

        Returns the caller, the calling user (None from outside), when the callee answered, when
        the callee hands the call on (transfer, park), and the call's uniqueid.
        """
        outside = c.in_trunk and any(u is callee for _, u in c.user_ddis)
        colleagues = [u for u in c.users if u is not callee] if internal else []
        user = None
        if outside and (not colleagues or self.random() < 0.5):
            caller = self.external(c)
        else:
            user = self.pick(colleagues)
            caller = user.caller
        uid = self.uniqueid(t)
        answer = t + self.ring(RING_TIMEOUT)
        return caller, user, answer, answer + 1 + int(self.random() * 60), uid

    @staticmethod
    def handers(c: _Company) -> list[_User]:
        """Users who can take a call and hand it to a third user: any with three users or more,
        else those with a DDI (the caller is then from outside)."""
        return [u for u in c.users if len(c.users) >= 3 or any(x is u for _, x in c.user_ddis)]

    def _transfer(self, c: _Company, t: int) -> list[Cdr]:
        """Blind transfer: the first leg's dst becomes the new target; the second leg starts answered."""
        transferrer = self.pick(self.handers(c))
        caller, user, answer, moment, uid = self.answered_by(c, t, transferrer, internal=len(c.users) >= 3)
        target = self.other(c.users, transferrer, *([user] if user else []))
        end = moment + self.ring(RING_TIMEOUT) + self.talk()
        chan = self.channel(caller.channel, t, end)
        peer = c.id
        first = self.row(caller.account, caller.number, target.ext, c.context, caller.clid, chan,
                         self.channel(transferrer.devices[0], t, moment), "Dial", transferrer.dial,
                         t, answer, moment, "ANSWERED", uid, peer, uid)
        second = self.row(caller.account, caller.number, target.ext, c.context, caller.clid, chan,
                          self.channel(target.devices[0], moment, end), "Dial", target.dial,
                          moment, moment, end, "ANSWERED", uid, peer, uid)
        return [first, second]

    def _transfer_external(self, c: _Company, t: int) -> list[Cdr]:
        """An inbound call blind-transferred out: the caller's channel dials the trunk itself."""
        _, transferrer = self.pick(c.user_ddis)
        caller = self.external(c)
        uid = self.uniqueid(t)
        answer = t + self.ring(RING_TIMEOUT)
        moment = answer + 1 + int(self.random() * 60)
        number = self.destination()
        dialled = c.outside_prefix + number
        end = moment + self.ring(TRUNK_TIMEOUT) + self.talk()
        chan = self.channel(caller.channel, t, end)
        options = f"Tf({c.presentation})" if c.presentation else "T"
        first = self.row("", caller.number, dialled, c.context, caller.clid, chan,
                         self.channel(transferrer.devices[0], t, moment), "Dial", transferrer.dial,
                         t, answer, moment, "ANSWERED", uid, c.id, uid)
        second = self.row("", caller.number, dialled, c.context, caller.clid, chan,
                          self.channel(c.out_trunk, moment, end), "Dial",
                          f"{c.out_trunk}/{number},{TRUNK_TIMEOUT},{options}", moment, moment, end,
                          "ANSWERED", uid, c.id, uid)
        return [first, second]

    def park_space(self, c: _Company, start: int, end: int) -> int:
        assert c.park is not None
        for space in c.park[1]:
            if self.parked.get((c.id, space), -1) < start:
                self.parked[(c.id, space)] = end
                return space
        return c.park[1][-1]

    def _park(self, c: _Company, t: int, retrieved: bool = True) -> list[Cdr]:
        """Parked by a blind transfer to the park extension; a colleague dials the space, or it comes back."""
        parker = self.pick(self.handers(c))
        caller, user, answer, moment, uid = self.answered_by(c, t, parker, internal=len(c.users) >= 3)
        if retrieved:
            back = moment + 3 + int(self.random() * 40)
        else:
            back = moment + PARKING_TIME
        end = back + self.ring(RING_TIMEOUT) * (not retrieved) + self.talk()
        space = self.park_space(c, moment, back)
        chan = self.channel(caller.channel, t, end)
        first = self.row(caller.account, caller.number, parker.ext, c.context, caller.clid, chan,
                         self.channel(parker.devices[0], t, moment), "Dial", parker.dial,
                         t, answer, moment, "ANSWERED", uid, c.id, uid)
        park = self.row(caller.account, caller.number, parker.ext, c.context, caller.clid, chan, "",
                        "Park", f"{c.id}:{space}", moment, moment, back, "ANSWERED", uid, "", uid)
        if not retrieved:  # res_parking's comebacktoorigin: park-dial,<flattened parker channel>
            device = parker.devices[0]
            comeback = self.row(caller.account, caller.number, device.replace("/", "_"), "park-dial",
                                caller.clid, chan, self.channel(device, back, end), "Dial",
                                f"{device},{RING_TIMEOUT}", back, back, end, "ANSWERED", uid, c.id, uid)
            return [first, park, comeback]
        retriever = self.other(c.users, parker, *([user] if user else []))
        picker = self.channel(retriever.devices[0], back, end)
        parked_call = self.row(c.id, retriever.ext, str(space), c.context, retriever.clid, picker, "",
                               "ParkedCall", f"{c.id},{space}", back, back, back, "ANSWERED",
                               self.uniqueid(back), "", uid)
        joined = self.row(caller.account, caller.number, parker.ext, c.context, caller.clid, chan, picker,
                          "Dial", parker.dial, back, back, end, "ANSWERED", uid, c.id, uid)
        return [first, park, joined, parked_call]

    def _park_timeout(self, c: _Company, t: int) -> list[Cdr]:
        return self._park(c, t, retrieved=False)

    def _pickup(self, c: _Company, t: int, code: str, app: str) -> list[Cdr]:
        """A colleague picks up a ringing phone: the rung channel becomes Party A of the pickup record."""
        rung = self.pick(c.users)
        picker = self.other(c.users, rung)
        ddis = [ddi for ddi, u in c.user_ddis if u is rung]
        if ddis and c.in_trunk and self.random() < 0.5:
            caller = self.external(c)
        else:
            caller = self.other(c.users, rung, picker).caller
        uid = self.uniqueid(t)
        rung_uid = self.uniqueid(t)
        moment = t + 2 + int(self.random() * 12)
        end = moment + self.talk()
        chan = self.channel(caller.channel, t, end)
        rung_chan = self.channel(rung.devices[0], t, moment)
        dialled = code if code == c.group_pickup else code + rung.ext
        rang = self.row(caller.account, caller.number, rung.ext, c.context, caller.clid, chan, rung_chan, "Dial",
                        rung.dial, t, moment, moment, "ANSWERED", uid, c.id, uid)
        rung_row = self.row(c.id, rung.ext, dialled, c.context, f'"" <{rung.ext}>', rung_chan, "", app, "",
                            t, None, moment, "NOANSWER", rung_uid, "", uid)
        taken = self.row(caller.account, caller.number, rung.ext, c.context, caller.clid, chan,
                         self.channel(picker.devices[0], moment, end), "Dial", rung.dial, moment, moment, end,
                         "ANSWERED", uid, c.id, uid)
        return [rung_row, rang, taken]

    def _pickup_directed(self, c: _Company, t: int) -> list[Cdr]:
        return self._pickup(c, t, c.directed_pickup, "Return")

    def _pickup_group(self, c: _Company, t: int) -> list[Cdr]:
        return self._pickup(c, t, c.group_pickup, "Pickup")

    def _disa(self, c: _Company, t: int) -> list[Cdr]:
        """DISA: ResetCDR drops the PIN prompt; the auth code is the accountcode of the one row."""
        code = self.pick([code for code, comp in self.pbx.auth_codes if comp is c])
        _, home = self.pick(self.pbx.dialins)
        caller = self.external(home)
        uid = self.uniqueid(t)
        start = t + 6 + int(self.random() * 10)
        number = self.destination()
        end = start + self.ring(TRUNK_TIMEOUT) + self.talk()
        return [self.row(code, caller.number, number, home.dialin_context, caller.clid,
                         self.channel(caller.channel, t, end), self.channel(c.out_trunk, start, end), "Dial",
                         f"{c.out_trunk}/{number},{TRUNK_TIMEOUT}", start, start, end, "ANSWERED", uid, code, uid)]

    def _forward(self, c: _Company, t: int) -> list[Cdr]:
        """A call to a user with call forwarding: the user's dialplan dials their mobile out of the trunk."""
        user = self.pick([u for u in c.users if u.forward])
        colleagues = [u for u in c.users if u is not user]
        inbound = c.in_trunk and (c.ivrs or any(u is user for _, u in c.user_ddis))
        uid = self.uniqueid(t)
        if inbound and (not colleagues or self.random() < 0.7):
            caller = self.external(c)
            via_ivr = not any(u is user for _, u in c.user_ddis)
            start_ring = t + (2 + int(self.random() * 8) if via_ivr else 0)
        else:
            caller, via_ivr, start_ring = self.pick(colleagues).caller, False, t
        answer = start_ring + self.ring(TRUNK_TIMEOUT)
        end = answer + self.talk()
        data = f"{c.out_trunk}/{user.forward},{TRUNK_TIMEOUT},f({c.presentation})" if c.presentation else \
            f"{c.out_trunk}/{user.forward},{TRUNK_TIMEOUT}"
        return [self.row(caller.account, caller.number, user.ext, c.context, caller.clid,
                         self.channel(caller.channel, t, end), self.channel(c.out_trunk, start_ring, end), "Dial",
                         data, t, t if via_ivr else answer, end, "ANSWERED", uid, "", uid)]

    def _voicemail(self, c: _Company, t: int) -> list[Cdr]:
        user = self.pick(c.users)
        end = t + 8 + int(self.rng.expovariate(1 / 30))
        uid = self.uniqueid(t)
        return [self.row(c.id, user.ext, c.voicemail, c.context, user.clid, self.channel(user.devices[0], t, end),
                         "", "VoiceMailMain", f"{user.ext}@{c.id}", t, t, end, "ANSWERED", uid, "", uid)]

    def _company_to_company(self, c: _Company, t: int) -> list[Cdr]:
        """Two calls: out of the caller's trunk to another company's DDI, and back in from the carrier."""
        other = self.pick([o for o in self.pbx.companies if o is not c and o.user_ddis and o.in_trunk])
        ddi, callee = self.pick(other.user_ddis)
        user = self.pick(c.users)
        number = self.pbx.national(ddi)
        out_uid = self.uniqueid(t)
        arrive = t + 1
        answer = arrive + self.ring(RING_TIMEOUT)
        end = answer + self.talk()
        userfield = self.recording(c, user.ext, number, t) if user.record else ""
        out = self.row(c.id, user.ext, c.outside_prefix + number, c.context, user.clid,
                       self.channel(user.devices[0], t, end), self.channel(c.out_trunk, t, end), "Dial",
                       f"{c.out_trunk}/{number},{TRUNK_TIMEOUT},Tf({c.presentation})", t, answer, end,
                       "ANSWERED", out_uid, c.id, out_uid, userfield)
        presented = self.pbx.national(c.presentation)
        in_uid = self.uniqueid(arrive)
        back = self.row("", presented, callee.ext, other.context, f'"" <{presented}>',
                        self.channel(other.in_trunk, arrive, end), self.channel(callee.devices[0], arrive, end),
                        "Dial", callee.dial, arrive, answer, end, "ANSWERED", in_uid, other.id, in_uid)
        return [back, out]


def _hour_weights(start: datetime, days: int, zone: ZoneInfo) -> list[float]:
    """The relative call volume of each hour of the period, by local hour and weekday."""
    weights = []
    for h in range(days * 24):
        local = (start + timedelta(hours=h)).astimezone(zone)
        weights.append(_HOURS[local.hour] * _DAYS[local.weekday()])
    return weights


def calls(directory: Directory, *, rows: int, seed: int = 0, start: datetime | None = None,
          days: int = 28) -> Iterator[Call]:
    """Calls in start order, `rows` rows in all, spread over `days` days from `start` by office hours."""
    if rows < 0 or days < 1:
        raise ValueError("rows must be >= 0 and days >= 1")
    maker = _Maker(directory, seed)
    rng = maker.rng
    begin = int((start or DEFAULT_START).timestamp())
    weights = _hour_weights(datetime.fromtimestamp(begin, UTC), days, maker.zone)
    total = sum(weights)
    made = 0
    mean = 1.4  # rows per call, learnt as we go
    calls_made = 0
    reached = 0.0
    for hour, weight in enumerate(weights):
        reached += weight
        budget = rows if hour == len(weights) - 1 else round(rows * reached / total)
        if made >= budget:
            continue
        base = begin + hour * 3600
        expected = max(1, math.ceil((budget - made) / mean))
        rand = rng.random
        offsets = sorted(int(rand() * 3600) for _ in range(expected))
        i = 0
        while made < budget:
            if i == len(offsets):  # more calls than expected: squeeze them into the rest of the hour
                last = offsets[-1]
                offsets += sorted(last + int(rand() * (3600 - last)) for _ in range(expected))
            call = maker.call(base + offsets[i])
            i += 1
            if made + len(call.rows) > rows:  # the last call must fit: take a one-row call instead
                call = maker.call(base + offsets[i - 1], rng.choice(maker.single))
                del call.rows[rows - made:]  # (only with phones of several devices)
            made += len(call.rows)
            calls_made += 1
            mean = made / calls_made
            yield call


def generate(directory: Directory, *, rows: int, seed: int = 0, start: datetime | None = None,
             days: int = 28, queue_log: list[QueueEvent] | None = None) -> Iterator[Cdr]:
    """Exactly `rows` CDRs in the order Asterisk writes them: each call's rows when the call ends;
    the queue calls' queue_log events are added to `queue_log` when given (as the calls are made)."""
    pending: list[tuple[int, int, list[Cdr]]] = []
    push, pop = heapq.heappush, heapq.heappop
    for n, call in enumerate(calls(directory, rows=rows, seed=seed, start=start, days=days)):
        if queue_log is not None:
            queue_log.extend(call.events)
        while pending and pending[0][0] <= call.start:
            yield from pop(pending)[2]
        push(pending, (call.end, n, call.rows))
    while pending:
        yield from pop(pending)[2]
