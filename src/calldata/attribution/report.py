"""The coverage report: how many rows lack each property, and what the directory fails to know.

`summarise` is pure (rows in, Report out); `coverage` reads the store for a date range.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, and_, func, or_, select

from calldata.attribution import versions
from calldata.attribution.channels import UNKNOWN, base_name, resolve
from calldata.attribution.lookup import Lookup
from calldata.store.schema import PROPERTY_TEXT, cdr


class Report(msgspec.Struct):
    """Coverage of attribution over `rows` stored rows of a date range."""

    since: datetime | None
    until: datetime | None
    directory_version: int | None
    rows: int
    unattributed: int  # rows never decided (no directory when stored, or not reprocessed)
    company_or_target: int  # rows with company or target decided
    missing: dict[str, int]  # property -> rows where it is undecided
    channels: list[tuple[str, int]]  # most frequent channels the directory does not know
    contexts: list[tuple[str, int]]  # most frequent contexts of undecided rows no company claims
    numbers: list[tuple[str, int]]  # most frequent dialled numbers of rows without a target

    @property
    def company_or_target_share(self) -> float:
        return self.company_or_target / self.rows if self.rows else 1.0


def summarise(rows: Iterable[Any], lookup: Lookup | None) -> tuple[Counter, Counter, Counter]:
    """From rows lacking some property: unknown channels, unclaimed contexts, unowned numbers."""
    channels: Counter[str] = Counter()
    contexts: Counter[str] = Counter()
    numbers: Counter[str] = Counter()
    for row in rows:
        for channel in (row.channel, row.dstchannel):
            if channel and (lookup is None or resolve(lookup, channel)[0] == UNKNOWN):
                channels[base_name(channel)] += 1
        if row.dcontext and (lookup is None or row.dcontext not in lookup.contexts):
            contexts[row.dcontext] += 1
        if row.target is None and row.dst:
            numbers[row.dst] += 1
    return channels, contexts, numbers


def coverage(
    conn: Connection, since: datetime | None = None, until: datetime | None = None, top: int = 10
) -> Report:
    """The report for rows with `since <= calldate < until` (either bound optional)."""
    window = []
    if since is not None:
        window.append(cdr.c.calldate >= since)
    if until is not None:
        window.append(cdr.c.calldate < until)
    where = and_(True, *window)
    counts = conn.execute(
        select(
            func.count(),
            func.count(cdr.c.directory_version),
            func.count(func.coalesce(cdr.c.company, cdr.c.target)),
            *(func.count(cdr.c[name]) for name in PROPERTY_TEXT),
        ).where(where)
    ).one()
    total = counts[0]
    lookup = versions.current_lookup(conn)
    lacking = or_(*(cdr.c[name].is_(None) for name in PROPERTY_TEXT))
    rows = conn.execute(
        select(cdr.c.channel, cdr.c.dstchannel, cdr.c.dcontext, cdr.c.dst, cdr.c.target)
        .where(where, lacking)
        .execution_options(yield_per=5000)
    )
    channels, contexts, numbers = summarise(rows, lookup)
    return Report(
        since=since,
        until=until,
        directory_version=None if lookup is None else lookup.version,
        rows=total,
        unattributed=total - counts[1],
        company_or_target=counts[2],
        missing={name: total - counts[3 + i] for i, name in enumerate(PROPERTY_TEXT)},
        channels=channels.most_common(top),
        contexts=contexts.most_common(top),
        numbers=numbers.most_common(top),
    )
