"""How the legs of one call follow each other: the leg of the same Party A that ended as another
started, who handed a call on (blind, attended, through a Local channel), a pickup, a `dst` a
transfer rewrote, what the transferrer dialled. attribution.properties decides from these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from calldata.attribution.channels import DEVICE, LOCAL, Party

if TYPE_CHECKING:
    from calldata.attribution.properties import Leg

TOUCH = 1  # seconds: "the leg that ended as this one started", at Asterisk's 1 s resolution


class Relations:
    """How the legs of one call follow each other (only computed for calls of several legs)."""

    __slots__ = ("consulted", "later", "picked", "prev", "reached", "rewritten", "xfer")

    def __init__(self, n: int) -> None:
        self.prev: list[int | None] = [None] * n
        self.xfer: list[tuple[str, str]] = [_NO_XFER] * n  # (extension, its company)
        self.picked = [False] * n
        self.rewritten = [False] * n
        self.consulted: list[str | None] = [None] * n  # what the transferrer dialled (attended)
        self.reached: list[str | None] = [None] * n  # with no dst: what was dialled to reach Party A
        self.later = [False] * n  # an earlier leg of the same Party A exists (not its first leg)


_NO_XFER = ("", "")
ALONE = Relations(1)  # a call of one leg: nothing follows anything (never written to)


def relations(legs: Sequence[Leg], times: Sequence[tuple[int, int]],
              b_party: list[Party], a_party: list[Party], pickups: list[bool]) -> Relations:
    """How the legs of one call follow each other, each relation found in one pass over the call."""
    n = len(legs)
    rel = Relations(n)
    prev = rel.prev
    # The leg of the same Party A that ended as this one started (transfers, park, pickup).
    by_channel: dict[str, list[int]] = {}
    for i, leg in enumerate(legs):
        by_channel.setdefault(leg.channel, []).append(i)
    for same in by_channel.values():
        if len(same) < 2:
            continue
        for i in same:
            start = times[i][0]
            rel.later[i] = any(times[j][0] < start for j in same)
            best = None
            for j in same:
                if j != i and times[j][0] <= start and abs(times[j][1] - start) <= TOUCH and \
                        times[j] != (start, start) and (best is None or times[j] > times[best]):
                    best = j
            prev[i] = best

    picked_channels = {legs[i].channel: times[i][1] for i in range(n) if pickups[i]}
    # xfer: the extension (and its company) that handed the call on to this leg.
    xfer = rel.xfer
    through: list[tuple[int, int]] = []  # (leg, the leg to a Local channel it continues)
    for i in range(n):
        p = prev[i]
        if p is None:
            continue
        before = legs[p]
        bp = b_party[p]
        end_of_pickup = picked_channels.get(before.dstchannel)
        if end_of_pickup is not None and abs(end_of_pickup - times[i][0]) <= TOUCH:
            rel.picked[i] = True  # a pickup, not a transfer
            continue
        if before.answer is None or before.disposition != "ANSWERED" or not bp[2] \
                or before.dstchannel == legs[i].dstchannel:
            continue
        if bp[0] == DEVICE:
            xfer[i] = (bp[2], bp[1])
        elif bp[0] == LOCAL:
            far = [k for k in range(n) if legs[k].channel == _other_half(before.dstchannel)]
            if any(legs[k].dstchannel == legs[i].dstchannel for k in far):
                through.append((i, p))  # the Local channel bowed out: this leg continues that one
            elif any(legs[k].answer is not None and legs[k].disposition == "ANSWERED" for k in far):
                xfer[i] = (bp[2], bp[1])
            # else the consultation through it reached nobody: nothing was handed on
    # The other way round: this leg's Party A was Party B of a leg that ended as this one
    # started (an outside party that an extension transferred): that leg's Party A handed it on.
    for i in range(n):
        if prev[i] is not None:
            continue
        start = times[i][0]
        for j in range(n):
            before = legs[j]
            if before.dstchannel == legs[i].channel and times[j][0] < start and \
                    abs(times[j][1] - start) <= TOUCH and before.answer is not None and \
                    before.disposition == "ANSWERED" and legs[i].dstchannel != before.channel:
                ap = a_party[j]
                if ap[0] in (DEVICE, LOCAL) and ap[2] and a_party[i][0] != LOCAL \
                        and not _consultation(legs, i, before.channel):
                    xfer[i] = (ap[2], ap[1])
                break
    for i, p in sorted(through, key=lambda leg: times[leg[0]]):  # a chain resolves in order
        xfer[i] = xfer[p]
    # A transfer carries through the Local channel it went to: `;2` inherits from the leg to `;1`
    # when the transfer itself dialled it (no consultation leg reached `;1` without a transfer).
    for i in range(n):
        if a_party[i][0] == LOCAL and not xfer[i][0] and legs[i].channel.endswith(";2"):
            into = [xfer[k] for k in range(n) if legs[k].dstchannel == _other_half(legs[i].channel)]
            if into and all(x[0] for x in into):
                xfer[i] = into[0]
    # Legs whose `dst` a later blind transfer rewrote: the transferred leg repeats their dst.
    for t in range(n):
        p = prev[t]
        if p is not None and xfer[t][0] and legs[p].dst == legs[t].dst:
            rel.rewritten[p] = True
    # What the transferrer dialled: the exten of the Local channel the transfer went through, or
    # the leg that reached this leg's Party B before the transfer (the consultation; its Party A
    # is the transferrer's channel, or the `;2` half of the Local channel it dialled).
    for t in range(n):
        if not xfer[t][0]:
            continue
        if b_party[t][0] == LOCAL and b_party[t][2]:
            rel.consulted[t] = b_party[t][2]
            continue
        for c in range(n):
            if c != t and legs[c].dstchannel == legs[t].dstchannel and times[c][0] < times[t][0]:
                rel.consulted[t] = a_party[c][2] if a_party[c][0] == LOCAL and a_party[c][2] else legs[c].dst
                break
    # A leg with neither dst nor Party B (the transferrer back with the caller after aborting an
    # attended transfer): what was dialled is what reached its Party A on the call it rejoined.
    for i in range(n):
        if legs[i].dst or legs[i].dstchannel:
            continue
        start = times[i][0]
        for j in range(n):
            if legs[j].dstchannel == legs[i].channel and legs[j].answer is not None \
                    and times[j][0] < start <= times[j][1]:
                rel.reached[i] = legs[j].dst
                break
    return rel


def _other_half(local: str) -> str:
    """`Local/203@acme-00000002;1` <-> `Local/203@acme-00000002;2`."""
    return local[:-1] + ("2" if local.endswith(";1") else "1")


def _consultation(legs: Sequence[Leg], i: int, transferee: str) -> bool:
    """Leg i goes to a Local channel the transferee also went to: it is the transferrer's
    consultation of an attended transfer, not a leg the transferee was handed on to."""
    local = legs[i].dstchannel
    return local[-2:] == ";1" and any(k != i and leg.channel == transferee and leg.dstchannel == local
                                      for k, leg in enumerate(legs))
