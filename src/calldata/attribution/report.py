"""The coverage report: how many rows lack each property, and what the directory fails to know.

`summarise` is pure (rows in, what the directory fails to know out): `tally` counts what rows
lacking some property hold, `judged` asks the directory about it; `coverage` reads the store for a
date range. Tallies and counts add up over any split of the rows, so calldata.coverage keeps them
per UTC day and joins them with `report_of`, the one place a Report is made.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import Connection, and_, func, or_, select

from calldata.attribution import versions
from calldata.attribution.channels import UNKNOWN, base_name, resolve_base
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


# The figures counted over rows (COUNTS, as COUNTED names them): rows, rows attributed, rows with
# company or target, rows with each property decided.
COUNTED = ("rows", "attributed", "company_or_target", *PROPERTY_TEXT)
COUNTS = (func.count(), func.count(cdr.c.directory_version), func.count(func.coalesce(cdr.c.company, cdr.c.target)),
          *(func.count(cdr.c[name]) for name in PROPERTY_TEXT))
LACKING = or_(*(cdr.c[name].is_(None) for name in PROPERTY_TEXT))  # the rows `tally` reads, and their columns:
TALLIED = (cdr.c.channel, cdr.c.dstchannel, cdr.c.dcontext, cdr.c.dst, cdr.c.target)


class Tally(NamedTuple):
    """What rows lacking some property hold, before the directory is asked (it changes; these do not)."""

    channels: Counter[str]  # base names of their channels and dstchannels
    contexts: Counter[str]  # their dcontexts
    numbers: Counter[str]  # the dialled numbers (dst) of those without a target


def tally(rows: Iterable[Any]) -> Tally:
    """Rows lacking some property (channel, dstchannel, dcontext, dst, target) -> their Tally."""
    found = Tally(Counter(), Counter(), Counter())
    for row in rows:
        for channel in (row.channel, row.dstchannel):
            if channel:
                found.channels[base_name(channel)] += 1
        if row.dcontext:
            found.contexts[row.dcontext] += 1
        if row.target is None and row.dst:
            found.numbers[row.dst] += 1
    return found


def judged(found: Tally, lookup: Lookup | None) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Of a Tally: the channels the directory does not know, the contexts no company claims, the numbers."""
    channels = Counter({base: n for base, n in found.channels.items()
                        if lookup is None or resolve_base(lookup, base)[0] == UNKNOWN})
    contexts = Counter({context: n for context, n in found.contexts.items()
                        if lookup is None or context not in lookup.contexts})
    return channels, contexts, found.numbers


def summarise(rows: Iterable[Any], lookup: Lookup | None) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """From rows lacking some property: unknown channels, unclaimed contexts, unowned numbers."""
    return judged(tally(rows), lookup)


def most(counter: Counter[str], top: int) -> list[tuple[str, int]]:
    """The `top` most frequent, the most first; equal counts in the keys' order (however the rows came)."""
    return heapq.nsmallest(top, counter.items(), key=lambda pair: (-pair[1], pair[0]))


def window(since: datetime | None, until: datetime | None) -> Any:
    """`since <= calldate < until`, either bound optional."""
    bounds = []
    if since is not None:
        bounds.append(cdr.c.calldate >= since)
    if until is not None:
        bounds.append(cdr.c.calldate < until)
    return and_(True, *bounds)


def read(conn: Connection, since: datetime | None, until: datetime | None) -> tuple[list[int], Tally]:
    """The COUNTED figures and the Tally of the rows with `since <= calldate < until`, from the legs."""
    counts = [int(n) for n in conn.execute(select(*COUNTS).where(window(since, until))).one()]
    rows = conn.execute(select(*TALLIED).where(window(since, until), LACKING).execution_options(yield_per=5000))
    return counts, tally(rows)


def report_of(counts: Sequence[int], found: Tally, lookup: Lookup | None,
              since: datetime | None, until: datetime | None, top: int) -> Report:
    """The Report of rows whose COUNTED figures are `counts` and whose Tally is `found`."""
    total = counts[0]
    channels, contexts, numbers = judged(found, lookup)
    return Report(
        since=since,
        until=until,
        directory_version=None if lookup is None else lookup.version,
        rows=total,
        unattributed=total - counts[1],
        company_or_target=counts[2],
        missing={name: total - counts[3 + i] for i, name in enumerate(PROPERTY_TEXT)},
        channels=most(channels, top),
        contexts=most(contexts, top),
        numbers=most(numbers, top),
    )


def coverage(
    conn: Connection, since: datetime | None = None, until: datetime | None = None, top: int = 10
) -> Report:
    """The report for rows with `since <= calldate < until` (either bound optional), read from the legs."""
    counts, found = read(conn, since, until)
    return report_of(counts, found, versions.current_lookup(conn), since, until, top)
