"""Grouping legs into calls: same `linkedid`, merged with any group that shares a channel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class LegIds(Protocol):
    linkedid: str
    uniqueid: str
    channel: str
    dstchannel: str


def id_order(linkedid: str) -> tuple[int, int, int, str]:
    """Sort key making `1795918058.63` < `1795918058.100` (Asterisk ids are epoch.counter)."""
    head, dot, tail = linkedid.partition(".")
    if head.isdigit() and (not dot or tail.isdigit()):
        return (0, int(head), int(tail) if dot else -1, "")
    return (1, 0, 0, linkedid)


SLACK = 2  # seconds: legs of one channel follow each other; a recycled name comes back later


def group(legs: Sequence[LegIds], spans: Sequence[tuple[int, int]]) -> list[tuple[str, list[int]]]:
    """The calls among `legs`: (call id, indices of its legs), call id = the smallest linkedid.

    `spans` holds each leg's (start, end) in epoch seconds. A channel name links two legs only
    when their times touch: IAX2 call numbers and DAHDI channel numbers are reused, so the same
    name hours apart is another channel.
    """
    # Groups by linkedid first; channels only matter when they cross two of them.
    group_of: dict[str, int] = {}
    keys: list[str] = []
    gid: list[int] = []
    for leg in legs:
        key = leg.linkedid or leg.uniqueid or leg.channel
        g = group_of.get(key)
        if g is None:
            g = group_of[key] = len(keys)
            keys.append(key)
        gid.append(g)
    parent = list(range(len(keys)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    # One sweep in time order: a channel is "open" from its first leg's start to the latest end
    # of its legs so far; a leg that starts while (or just after) it is open joins its group.
    open_until: dict[str, tuple[int, int]] = {}  # channel -> (group, end of its legs so far)
    for i in sorted(range(len(legs)), key=spans.__getitem__):
        g = gid[i]
        start, end = spans[i]
        leg = legs[i]
        for channel in (leg.channel, leg.dstchannel):
            if not channel:
                continue
            if channel[-2:-1] == ";":  # both halves of a Local channel are one channel
                channel = channel[:-2]
            seen = open_until.get(channel)
            if seen is None or start > seen[1] + SLACK:
                open_until[channel] = (g, end)
                continue
            if seen[0] != g:
                ra, rb = find(seen[0]), find(g)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
            if end > seen[1]:
                open_until[channel] = (seen[0], end)
    members: dict[int, list[int]] = {}
    for index, g in enumerate(gid):
        members.setdefault(g, []).append(index)
    merged: dict[int, list[int]] = {}  # root group -> the groups joined to it
    for g in range(len(keys)):
        if parent[g] != g:
            root = find(g)
            members[root].extend(members.pop(g))
            merged.setdefault(root, [root]).append(g)
    calls = []
    for root, indices in members.items():
        joined = merged.get(root)
        calls.append((keys[root] if joined is None else min((keys[g] for g in joined), key=id_order), indices))
    return calls
