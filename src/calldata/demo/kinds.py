"""Each kind of call the generator makes (pbx.KIND_WEIGHTS), written the way the recorded Asterisk
writes it: internal, outbound, inbound, IVR, queue, hunt group, transfers, park, pickups, DISA,
forwards, voicemail, and one company calling another."""

from __future__ import annotations

from bisect import bisect
from collections.abc import Callable
from itertools import accumulate

from calldata.attribution.directory import Directory
from calldata.cdr import Cdr
from calldata.demo.legs import Call, Legs
from calldata.demo.pbx import RING_TIMEOUT, Caller, Tenant, User, dial_data
from calldata.demo.queue_log import QUEUE_TIMEOUT, queue_events

TRUNK_TIMEOUT = 60  # Dial(...,60) to trunks
PARKING_TIME = 45  # res_parking's default parkingtime


class Maker(Legs):
    """Makes the rows of one call at a time, of a kind drawn by weight."""

    __slots__ = ("makers",)

    def __init__(self, directory: Directory, seed: int) -> None:
        super().__init__(directory, seed)
        # kind -> the companies that make it, their cumulative weights (bigger ones call more), its maker
        self.makers: dict[str, tuple[list[Tenant], list[int], Callable[[Tenant, int], list[Cdr]]]] = {}
        for kind in self.kinds:
            companies = self.pbx.eligible(kind)
            weights = list(accumulate(len(c.users) + 1 for c in companies))
            self.makers[kind] = (companies, weights, getattr(self, "_" + kind))

    def call(self, t: int, kind: str | None = None) -> Call:
        """A call of the given kind, or of a kind drawn by weight, starting at second `t`."""
        if kind is None:
            kind = self.kinds[bisect(self.cumulative, self.random() * self.cumulative[-1])]
        companies, weights, maker = self.makers[kind]
        self.horizon = t
        self.logged = ()
        rows = maker(companies[bisect(weights, self.random() * weights[-1])], t)
        return Call(kind, rows, t, self.horizon, self.logged)

    def _internal(self, c: Tenant, t: int, disposition: str = "ANSWERED") -> list[Cdr]:
        caller = self.pick(c.users)
        callee = self.other(c.users, caller)
        return self.dial_user(caller.caller, t, callee, callee.ext, c.context, disposition)

    def _internal_noanswer(self, c: Tenant, t: int) -> list[Cdr]:
        return self._internal(c, t, "NOANSWER")

    def _internal_busy(self, c: Tenant, t: int) -> list[Cdr]:
        return self._internal(c, t, "BUSY")

    def _internal_failed(self, c: Tenant, t: int) -> list[Cdr]:
        return self._internal(c, t, "FAILED")

    def _outbound(self, c: Tenant, t: int, disposition: str = "ANSWERED") -> list[Cdr]:
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

    def _outbound_noanswer(self, c: Tenant, t: int) -> list[Cdr]:
        return self._outbound(c, t, "NOANSWER")

    def _outbound_busy(self, c: Tenant, t: int) -> list[Cdr]:
        return self._outbound(c, t, "BUSY")

    def _outbound_congestion(self, c: Tenant, t: int) -> list[Cdr]:
        return self._outbound(c, t, "CONGESTION")

    def _inbound(self, c: Tenant, t: int, disposition: str = "ANSWERED") -> list[Cdr]:
        _, user = self.pick(c.user_ddis)
        caller = self.external(c)
        return self.dial_user(caller, t, user, user.ext, c.context, disposition)

    def _inbound_noanswer(self, c: Tenant, t: int) -> list[Cdr]:
        return self._inbound(c, t, "NOANSWER")

    def _inbound_busy(self, c: Tenant, t: int) -> list[Cdr]:
        return self._inbound(c, t, "BUSY")

    def _ivr_extension(self, c: Tenant, t: int) -> list[Cdr]:
        """The IVR answers, the caller picks an extension: one row, answer == start, billsec with the menu."""
        caller = self.external(c)
        user = self.pick(c.users)
        end = t + 2 + int(self.random() * 12) + self.ring(RING_TIMEOUT) + self.talk()
        uid = self.uniqueid(t)
        return [self.row("", caller.number, user.ext, c.context, caller.clid, self.channel(caller.channel, t, end),
                         self.channel(self.pick(user.devices), t, end), "Dial", user.dial, t, t, end,
                         "ANSWERED", uid, c.id, uid)]

    def _ivr_hangup(self, c: Tenant, t: int) -> list[Cdr]:
        _, ivr = self.pick(c.ivrs)
        caller = self.external(c)
        end = t + 2 + int(self.random() * 20)
        uid = self.uniqueid(t)
        return [self.row("", caller.number, ivr, c.ivr_context, caller.clid, self.channel(caller.channel, t, end),
                         "", "WaitExten", "8", t, t, end, "ANSWERED", uid, "", uid)]

    def _queue(self, c: Tenant, t: int, abandon: bool = False) -> list[Cdr]:
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

    def _queue_abandon(self, c: Tenant, t: int) -> list[Cdr]:
        return self._queue(c, t, abandon=True)

    def _huntgroup(self, c: Tenant, t: int, answered: bool = True) -> list[Cdr]:
        """Every phone of the group rings: one row each, those that lose end when the winner answers."""
        _, ext, devices = self.pick(c.hunts)
        caller = self.external(c)
        uid = self.uniqueid(t)
        data = dial_data(devices, c.id, c.number)
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

    def _huntgroup_noanswer(self, c: Tenant, t: int) -> list[Cdr]:
        return self._huntgroup(c, t, answered=False)

    def answered_by(self, c: Tenant, t: int, callee: User,
                    internal: bool = True) -> tuple[Caller, User | None, int, int, str]:
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
    def handers(c: Tenant) -> list[User]:
        """Users who can take a call and hand it to a third user: any with three users or more,
        else those with a DDI (the caller is then from outside)."""
        return [u for u in c.users if len(c.users) >= 3 or any(x is u for _, x in c.user_ddis)]

    def _transfer(self, c: Tenant, t: int) -> list[Cdr]:
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

    def _transfer_external(self, c: Tenant, t: int) -> list[Cdr]:
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

    def park_space(self, c: Tenant, start: int, end: int) -> int:
        assert c.park is not None
        for space in c.park[1]:
            if self.parked.get((c.id, space), -1) < start:
                self.parked[(c.id, space)] = end
                return space
        return c.park[1][-1]

    def _park(self, c: Tenant, t: int, retrieved: bool = True) -> list[Cdr]:
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

    def _park_timeout(self, c: Tenant, t: int) -> list[Cdr]:
        return self._park(c, t, retrieved=False)

    def _pickup(self, c: Tenant, t: int, code: str, app: str) -> list[Cdr]:
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

    def _pickup_directed(self, c: Tenant, t: int) -> list[Cdr]:
        return self._pickup(c, t, c.directed_pickup, "Return")

    def _pickup_group(self, c: Tenant, t: int) -> list[Cdr]:
        return self._pickup(c, t, c.group_pickup, "Pickup")

    def _disa(self, c: Tenant, t: int) -> list[Cdr]:
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

    def _forward(self, c: Tenant, t: int) -> list[Cdr]:
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

    def _voicemail(self, c: Tenant, t: int) -> list[Cdr]:
        user = self.pick(c.users)
        end = t + 8 + int(self.rng.expovariate(1 / 30))
        uid = self.uniqueid(t)
        return [self.row(c.id, user.ext, c.voicemail, c.context, user.clid, self.channel(user.devices[0], t, end),
                         "", "VoiceMailMain", f"{user.ext}@{c.id}", t, t, end, "ANSWERED", uid, "", uid)]

    def _company_to_company(self, c: Tenant, t: int) -> list[Cdr]:
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
