"""The plumbing every generated call uses: channel names, uniqueids, CDR sequence numbers, ring
and talk times, and a caller dialling a user's phones, with the counters Asterisk keeps across calls."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from itertools import accumulate
from typing import NamedTuple
from zoneinfo import ZoneInfo

from calldata.attribution.directory import Directory
from calldata.cdr import Cdr
from calldata.demo.pbx import INTERNATIONAL, KIND_WEIGHTS, NATIONAL, RING_TIMEOUT, Caller, Pbx, Tenant, User
from calldata.queues.event import QueueEvent

_SINGLE_ROW = ("internal", "outbound", "inbound", "ivr_extension", "ivr_hangup", "queue", "voicemail",
               "forward", "disa")
_TABLE = 8192  # ring and talk times drawn in advance
_SLACK = 3  # seconds a channel name stays unusable after its channel ends


class Call(NamedTuple):
    """One call: its kind (a key of KIND_WEIGHTS), its rows in the order Asterisk writes them, and
    when its first leg started and its last leg ended (epoch seconds); a queue call's queue_log events."""

    kind: str
    rows: list[Cdr]
    start: int
    end: int
    events: tuple[QueueEvent, ...] = ()


class Legs:
    """The rows every call is made of, and the counters Asterisk keeps across calls (demo.kinds
    makes the calls)."""

    __slots__ = ("rng", "pbx", "zone", "kinds", "cumulative", "random", "rings", "talks", "single", "uid", "seq",
                 "horizon", "times", "hex", "iax", "parked", "logged")

    def __init__(self, directory: Directory, seed: int) -> None:
        self.rng = rng = random.Random(seed)
        self.pbx = Pbx(directory, rng)
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

    def other(self, users: list[User], *exclude: User) -> User:
        while True:
            user = self.pick(users)
            if user not in exclude:
                return user

    def external(self, c: Tenant) -> Caller:
        """An outside caller reaching company `c` on its inbound trunk."""
        number, clid = self.pick(self.pbx.callers)
        return Caller("", number, clid, c.in_trunk)

    def destination(self) -> str:
        """An external number as a user dials it after the outside prefix (national, sometimes abroad)."""
        prefix, digits = self.pick(INTERNATIONAL if self.random() < 0.06 else NATIONAL)
        return prefix + str(int(self.random() * 10**digits)).zfill(digits)

    def recording(self, company: Tenant, ext: str, number: str, t: int) -> str:
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

    def dial_user(self, caller: Caller, t: int, user: User, dst: str, context: str,
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
