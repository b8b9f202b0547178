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
    first_seen: dict[str, int] = {}
    crossing: set[str] = set()
    for i, leg in enumerate(legs):
        for channel in (leg.channel, leg.dstchannel):
            if channel:
                if channel[-2:-1] == ";":  # both halves of a Local channel are one channel
                    channel = channel[:-2]
                first = first_seen.setdefault(channel, i)
                if gid[first] != gid[i]:
                    crossing.add(channel)
    parent = list(range(len(keys)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    if crossing:
        sharing: dict[str, list[int]] = {channel: [] for channel in crossing}
        for i, leg in enumerate(legs):
            for channel in (leg.channel, leg.dstchannel):
                if channel[-2:-1] == ";":
                    channel = channel[:-2]
                if channel in sharing:
                    sharing[channel].append(i)
        for indices in sharing.values():
            indices.sort(key=lambda i: spans[i][0])
            reach = spans[indices[0]][1]
            for prev, cur in zip(indices, indices[1:]):
                start, end = spans[cur]
                if start <= reach + SLACK:
                    ra, rb = find(gid[prev]), find(gid[cur])
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)
                    reach = max(reach, end)
                else:
                    reach = end
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
