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


def _group_key(leg: LegIds) -> str:
    """linkedid, or for Asterisk releases without one the uniqueid, or else the channel."""
    return leg.linkedid or leg.uniqueid or leg.channel


def _channel_key(channel: str) -> str:
    """Both halves of a Local channel (`...;1`, `...;2`) are one channel for grouping."""
    semi = channel.rfind(";")
    return channel[:semi] if semi > 0 and channel.startswith(("Local/", "local/")) else channel


SLACK = 2  # seconds: legs of one channel follow each other; a recycled name comes back later


def group(legs: Sequence[LegIds], spans: Sequence[tuple[int, int]]) -> list[tuple[str, list[int]]]:
    """The calls among `legs`: (call id, indices of its legs), call id = the smallest linkedid.

    `spans` holds each leg's (start, end) in epoch seconds. A channel name links two legs only
    when their times touch: IAX2 call numbers and DAHDI channel numbers are reused, so the same
    name hours apart is another channel.
    """
    parent = list(range(len(legs)))

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_link: dict[str, int] = {}
    by_channel: dict[str, list[int]] = {}
    for index, leg in enumerate(legs):
        first = by_link.setdefault(_group_key(leg), index)
        if first != index:
            union(first, index)
        for channel in (leg.channel, leg.dstchannel):
            if channel:
                by_channel.setdefault(_channel_key(channel), []).append(index)
    for indices in by_channel.values():
        if len(indices) < 2:
            continue
        indices.sort(key=lambda i: spans[i][0])
        reach = spans[indices[0]][1]
        for prev, cur in zip(indices, indices[1:]):
            start, end = spans[cur]
            if start <= reach + SLACK:
                union(prev, cur)
            reach = max(reach, end) if start <= reach + SLACK else end
    members: dict[int, list[int]] = {}
    for index in range(len(legs)):
        members.setdefault(find(index), []).append(index)
    calls = []
    for indices in members.values():
        call_id = min((_group_key(legs[i]) for i in indices), key=id_order)
        calls.append((call_id, indices))
    return calls
