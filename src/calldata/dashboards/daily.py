"""Parties and destinations of a range of whole days, split so ranges add up (stored days, today).

A party's (or number's) count is of distinct calls, and a call whose legs cross midnight has legs
on two days. So each (party, call) with a leg in [start, end) counts as `first` when none of its
legs (of that party) started in the MARGIN before `start`, else as `carried`: a period's count is
the `first` of all its ranges plus the `carried` of its first range. This holds while a call's legs
start within MARGIN of its first leg (query.MARGIN, which calls_statement relies on too).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, and_, bindparam, case, func, literal, select, union_all

from calldata.dashboards.query import MARGIN, SUFFIX, Party, Scope
from calldata.store.schema import cdr


class PartySplit(NamedTuple):
    """A channel (suffix cut) of the range: its calls first seen there, and those carried into it."""

    placed: bool
    channel: str
    first: int
    carried: int


class DestinationSplit(NamedTuple):
    """An outside number of the range: its calls (as PartySplit) and the sums of its legs in the range."""

    number: str
    name: str | None  # max of the legs' destination names
    first: int
    carried: int
    billsec: int
    price: int  # of the priced legs, millionths
    unpriced: int  # legs without a price
    low: str | None  # min and max of the legs' currencies
    high: str | None


def _window() -> list[Any]:
    """The legs of [start - MARGIN, end): the range's, and those that tell whether a call was seen before it."""
    time = cdr.c.calldate.type
    return [cdr.c.calldate >= bindparam("before", type_=time), cdr.c.calldate < bindparam("end", type_=time)]


def _inside() -> Any:
    return cdr.c.calldate >= bindparam("start", type_=cdr.c.calldate.type)


def _split(per_call: Any, keys: list[Any], *sums: Any) -> Select[Any]:
    """Per key: calls first seen in the range, calls carried into it, and `sums` of the per-call rows."""
    seen = per_call.c.seen
    return (select(*keys, func.sum(case((seen == 1, 1), else_=0)).label("first"),
                   func.sum(case((seen == 2, 1), else_=0)).label("carried"), *sums)
            .where(seen > 0).group_by(*keys))


def _seen(inside: Any) -> Any:
    """0: no leg in the range; 1: legs there and none in the margin before; 2: legs in both."""
    return case((func.max(case((inside, 1), else_=0)) == 0, 0),
                (func.min(case((inside, 1), else_=0)) == 1, 1), else_=2).label("seen")


@lru_cache(maxsize=256)
def parties_statement(scope: Scope) -> Select[Any]:
    """PartySplits of the scope's legs in [start, end) (query.parties_statement's parties)."""
    sides = []
    for placed, column, side in ((True, cdr.c.channel, cdr.c.company), (False, cdr.c.dstchannel, cdr.c.target)):
        sides.append(select(literal(placed).label("placed"), func.rtrim(column, SUFFIX).label("party"), cdr.c.call,
                            _inside().label("inside"))
                     .where(scope.mine(side), column != "", *_window()))
    legs = union_all(*sides).subquery("legs")
    per_call = (select(legs.c.placed, legs.c.party, _seen(legs.c.inside))
                .group_by(legs.c.placed, legs.c.party, legs.c.call).subquery("per_call"))
    return _split(per_call, [per_call.c.placed, per_call.c.party])


@lru_cache(maxsize=256)
def destinations_statement(scope: Scope) -> Select[Any]:
    """DestinationSplits of the legs billed to the scope in [start, end) (query.destinations_statement's)."""
    inside = _inside()

    def within(value: Any) -> Any:
        return case((inside, value))

    per_call = (
        select(cdr.c.dial_full, _seen(inside), func.max(within(cdr.c.destination)).label("name"),
               func.coalesce(func.sum(within(cdr.c.billsec)), 0).label("billsec"),
               func.coalesce(func.sum(within(cdr.c.price)), 0).label("price"),
               func.sum(case((and_(inside, cdr.c.price.is_(None)), 1), else_=0)).label("unpriced"),
               func.min(within(cdr.c.currency)).label("low"), func.max(within(cdr.c.currency)).label("high"))
        .where(scope.mine(cdr.c.bill_to), func.coalesce(cdr.c.dial_full, "") != "", *_window())
        .group_by(cdr.c.dial_full, cdr.c.call)
        .subquery("per_call")
    )
    c = per_call.c
    return _split(per_call, [c.dial_full], func.max(c.name).label("name"),
                  *(func.sum(c[n]).label(n) for n in ("billsec", "price", "unpriced")),
                  func.min(c.low).label("low"), func.max(c.high).label("high"))


def _params(start: datetime, end: datetime) -> dict[str, Any]:
    return {"before": start - MARGIN, "start": start, "end": end}


def parties(conn: Connection, scope: Scope, start: datetime, end: datetime) -> list[PartySplit]:
    """The scope's parties of [start, end), split into calls first seen there and carried into it."""
    rows = conn.execute(parties_statement(scope), _params(start, end)).all()
    return [PartySplit(bool(placed), channel, int(first), int(carried)) for placed, channel, first, carried in rows]


def destinations(conn: Connection, scope: Scope, start: datetime, end: datetime) -> list[DestinationSplit]:
    """Every outside number the scope called in [start, end), split as `parties`."""
    rows = conn.execute(destinations_statement(scope), _params(start, end)).all()
    return [DestinationSplit(number, name, int(first), int(carried), int(s), int(p), int(u), low, high)
            for number, first, carried, name, s, p, u, low, high in rows]


def merged(ranges: list[list[PartySplit]]) -> list[Party]:
    """Parties of consecutive ranges (in order) as one: every range's `first`, the first range's `carried`."""
    calls: dict[tuple[bool, str], int] = {}
    for i, found in enumerate(ranges):
        for party in found:
            key = (party.placed, party.channel)
            calls[key] = calls.get(key, 0) + party.first + (party.carried if i == 0 else 0)
    return [Party(placed, channel, n) for (placed, channel), n in calls.items()]
