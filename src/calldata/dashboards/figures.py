"""A dashboard's figures from its grouped rows (pure): labels and series a chart draws, and totals.

Money stays in integers of millionths (calldata.rating.money), summed exactly per currency; a
series never adds two currencies. Minutes in charts are seconds / 60 to one decimal; totals keep
exact seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import msgspec

from calldata.dashboards.period import Buckets
from calldata.dashboards.query import DIRECTIONS, BilledGroup, CallGroup, Destination, Party
from calldata.reports.roster import Device


class Series(msgspec.Struct):
    """One line or bar set: a value per label (None where there is nothing to draw)."""

    name: str
    unit: str  # "calls", "minutes", or a currency code (values in millionths)
    data: list[int | float | None]


class Chart(msgspec.Struct):
    """What a chart draws: its x labels and the series over them."""

    labels: list[str]
    series: list[Series]


class Totals(msgspec.Struct):
    """The period's whole figures: calls by outcome and direction, seconds talked and billed."""

    calls: int = 0
    answered: int = 0
    missed: int = 0  # not answered: busy, no answer, failed, congestion, abandoned in a queue
    inbound: int = 0  # by the first leg (query.py): from a caller of no company
    outbound: int = 0  # to nobody of a company (an outside number)
    internal: int = 0  # between parties of companies
    undecided: int = 0  # attribution has not decided the first leg's company or target
    talk: dict[str, int] = msgspec.field(default_factory=dict)  # direction -> seconds
    billable: int = 0  # seconds of the legs billed to the scope (out through a trunk)


class Amount(msgspec.Struct):
    """A sum of money in one currency, in millionths."""

    currency: str
    micros: int


class Money(msgspec.Struct):
    """What the legs billed to the scope amount to: prices (and carriers' costs, when shown) by currency."""

    price: list[Amount]
    cost: list[Amount] | None  # None: not shown to this viewer
    priced: int  # legs with a price
    unrated: int  # legs some deck had no row for


class Dashboard(msgspec.Struct):
    """Everything a dashboard page draws, ready for msgspec.json.encode."""

    period: str  # 2026-11-29 (by the hour) or 2026-11 (by the day)
    zone: str
    companies: list[str] | None  # None: every company (the operator)
    totals: Totals
    calls: Chart  # answered and missed per hour or day
    minutes: Chart  # talk per direction and billable, per hour or day
    spend: Chart  # price per currency per hour or day
    money: Money
    extensions: Chart  # the busiest: calls placed and rung in
    destinations: Chart  # the most called outside numbers: calls, minutes, price per currency


def _minutes(seconds: int) -> float:
    return round(seconds / 60, 1)


def _per_bucket(buckets: Buckets, rows: Iterable[tuple[int, str, int]]) -> dict[str, list[int]]:
    """(quarter, series, value) rows summed per series and bucket."""
    sums: dict[str, list[int]] = {}
    where: dict[int, int] = {}  # quarter -> bucket: a month's rows share ~3,000 quarters
    for quarter, name, value in rows:
        index = where.get(quarter)
        if index is None:
            index = where[quarter] = buckets.index(quarter)
        series = sums.get(name)
        if series is None:
            series = sums[name] = [0] * len(buckets.labels)
        series[index] += value
    return sums


def totals(calls: Sequence[CallGroup], billed: Sequence[BilledGroup]) -> Totals:
    """The period's totals."""
    found = Totals(talk={name: 0 for name in DIRECTIONS})
    for group in calls:
        found.calls += group.calls
        if group.answered:
            found.answered += group.calls
        else:
            found.missed += group.calls
        way = group.direction
        setattr(found, way, getattr(found, way) + group.calls)
        found.talk[way] = found.talk.get(way, 0) + group.talk
    found.billable = sum(group.billsec for group in billed)
    return found


def calls_chart(buckets: Buckets, calls: Sequence[CallGroup]) -> Chart:
    """Answered and missed calls per bucket."""
    sums = _per_bucket(buckets, ((g.quarter, "answered" if g.answered else "missed", g.calls) for g in calls))
    zeros = [0] * len(buckets.labels)
    return Chart(buckets.labels, [Series(name, "calls", list(sums.get(name, zeros))) for name in ("answered", "missed")])


def minutes_chart(buckets: Buckets, calls: Sequence[CallGroup], billed: Sequence[BilledGroup]) -> Chart:
    """Talk minutes per direction, and billable minutes, per bucket."""
    sums = _per_bucket(buckets, [(g.quarter, g.direction, g.talk) for g in calls]
                       + [(g.quarter, "billable", g.billsec) for g in billed])
    zeros = [0] * len(buckets.labels)
    return Chart(buckets.labels, [Series(name, "minutes", [_minutes(s) for s in sums.get(name, zeros)])
                                  for name in (*DIRECTIONS, "billable")])


def spend_chart(buckets: Buckets, billed: Sequence[BilledGroup]) -> Chart:
    """The price of the billed legs per bucket, one series per currency."""
    sums = _per_bucket(buckets, ((g.quarter, g.currency, g.price) for g in billed if g.currency))
    return Chart(buckets.labels, [Series("price", currency, list(sums[currency])) for currency in sorted(sums)])


def money(billed: Sequence[BilledGroup], show_cost: bool) -> Money:
    """Price (and cost when shown) per currency, with how many legs were priced and left unrated."""
    price: dict[str, int] = {}
    cost: dict[str, int] = {}
    for group in billed:
        if group.currency:
            price[group.currency] = price.get(group.currency, 0) + group.price
        if group.cost_currency:
            cost[group.cost_currency] = cost.get(group.cost_currency, 0) + group.cost
    return Money(
        [Amount(c, price[c]) for c in sorted(price)],
        [Amount(c, cost[c]) for c in sorted(cost)] if show_cost else None,
        sum(group.legs for group in billed if group.currency),
        sum(group.unrated for group in billed),
    )


def extensions_chart(parties: Sequence[Party], device: Callable[[str], Device | None], name: Callable[[str, str], str],
                     companies: frozenset[str] | None, top: int) -> Chart:
    """The `top` extensions of `companies` (any, when None) by calls placed and rung in; `device`
    finds a channel's device (calldata.reports.roster.Roster.device), `name` an extension's name."""
    counts: dict[tuple[str, str], list[int]] = {}
    for party in parties:
        found = device(party.channel + "0")  # a suffix back on the cut channel: the roster cuts it off again
        if found is None or (companies is not None and found[0] not in companies):
            continue
        sums = counts.setdefault(found[:2], [0, 0])
        sums[0 if party.placed else 1] += party.calls
    busiest = sorted(counts, key=lambda key: (-sum(counts[key]), key))[:top]
    several = companies is None or len(companies) > 1
    labels = [" ".join(filter(None, (company if several else "", ext, name(company, ext)))) for company, ext in busiest]
    return Chart(labels, [Series(side, "calls", [counts[key][i] for key in busiest])
                          for i, side in enumerate(("placed", "received"))])


def destinations_chart(found: Sequence[Destination]) -> Chart:
    """Outside numbers (most called first): calls, billed minutes, and price per currency."""
    currencies = sorted({d.currency for d in found if d.currency and d.price is not None})
    return Chart(
        [" ".join(filter(None, (d.number, d.name))) for d in found],
        [Series("calls", "calls", [d.calls for d in found]),
         Series("billable", "minutes", [_minutes(d.billsec) for d in found]),
         *(Series("price", c, [d.price if d.currency == c else None for d in found]) for c in currencies)],
    )
