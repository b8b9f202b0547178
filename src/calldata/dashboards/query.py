"""The SQL of a dashboard: four aggregating statements, grouped in the database, on SQLite and PostgreSQL.

Calls are the `call` groups of legs (docs/attribution.md, Calls), each built from the legs the
scope may see, as /rest/call/calls builds them: a call belongs to the period its first leg
started in (legs up to MARGIN before or after the period are read to find it); answered when
any leg was answered (calldata.calls.build.outcome: anything else, abandoned in a queue
included, is missed); its talk time from the first answer to the last leg's end; its direction
its first leg's (the call browser's): inbound from a caller of no company, outbound to nobody
of a company, internal between companies' parties, undecided while attribution has not decided.
Billable seconds, amounts, destinations and extensions count the legs started in the period, as
a monthly statement does, so a month's amounts are its statement's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)

from calldata.dashboards.period import QUARTER
from calldata.rating.rater import UNRATED
from calldata.reports.query import epoch
from calldata.store.reads import COMPANY_COLUMNS
from calldata.store.schema import cdr

INBOUND, OUTBOUND, INTERNAL, UNDECIDED = "inbound", "outbound", "internal", "undecided"
DIRECTIONS = (INBOUND, OUTBOUND, INTERNAL)
WAYS = (*DIRECTIONS, UNDECIDED)  # by the code calls_statement gives a direction
UNDECIDED_CODE = WAYS.index(UNDECIDED)
MARGIN = timedelta(hours=6)  # a call's legs start within this of its first leg
MAX_SPAN = timedelta(seconds=2 ** 23)  # 97 days: what calls_statement's key has room for
SUFFIX = "0123456789abcdefABCDEF"  # a channel's unique suffix (`-0000001a`, `-3265`)


class Scope(NamedTuple):
    """Whose calls: `companies` (their legs' company, target or bill_to), or every company's (None)."""

    companies: frozenset[str] | None = None

    def mine(self, column: Any) -> Any:
        """The column names one of the scope's companies (any company, for the operator)."""
        if self.companies is None:
            return func.coalesce(column, "") != ""
        return column.in_(sorted(self.companies))

    def visible(self) -> Any:
        """A leg the scope sees: one of its companies on any side (for the operator, every call's leg)."""
        if self.companies is None:
            return cdr.c.call.is_not(None)
        return or_(*(self.mine(cdr.c[name]) for name in COMPANY_COLUMNS))


class CallGroup(NamedTuple):
    """Calls that started in one quarter-hour, alike in direction and in how they ended."""

    quarter: int  # epoch seconds // QUARTER of the first leg's start
    direction: str  # one of DIRECTIONS, or UNDECIDED
    answered: bool
    calls: int
    talk: int  # seconds


class BilledGroup(NamedTuple):
    """Legs billed to the scope (out through a trunk) started in one quarter-hour, by currency."""

    quarter: int
    currency: str | None
    cost_currency: str | None
    legs: int
    billsec: int
    price: int  # millionths of `currency`, of the rated legs
    cost: int  # millionths of `cost_currency`
    unrated: int  # legs a deck had no row for


class Destination(NamedTuple):
    """An outside number called: the calls to it, their billed seconds and price (one currency)."""

    number: str
    name: str | None  # the sell deck's destination (`UK Mobile`), when rated
    calls: int
    billsec: int
    price: int | None  # millionths; None when not rated, or priced in several currencies
    currency: str | None


class Party(NamedTuple):
    """A channel up to its unique suffix (`IAX2/acme-201-`): the calls it placed or was rung in."""

    placed: bool  # Party A (else Party B)
    channel: str
    calls: int


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def _bounds() -> list[Any]:
    time = cdr.c.calldate.type
    return [cdr.c.calldate >= bindparam("start", type_=time), cdr.c.calldate < bindparam("end", type_=time)]


@lru_cache(maxsize=256)  # per scope: the users' few sets of companies
def calls_statement(dialect: str, scope: Scope) -> Select[Any]:
    """CallGroups of the calls whose first leg started in [first, last) (the legs read are those in
    [start, end), the period widened by MARGIN; `base` is `start` in epoch seconds).

    Each leg's key orders it by (calldate to the second, acctid) and carries its direction in its
    two low bits, so one min() per call finds its first leg's direction without sorting legs (a
    window over the call's legs cost PostgreSQL a sort of the month): seconds since `base` (under
    2^23: MAX_SPAN) x 2^38 (acctids below 275 billion) x 4 stays within 63 bits.
    """
    way = case((or_(cdr.c.company.is_(None), cdr.c.target.is_(None)), UNDECIDED_CODE), (cdr.c.company == "", 0),
               (cdr.c.target == "", 1), else_=2)
    seconds = epoch(dialect, cdr.c.calldate) - bindparam("base", type_=BigInteger)
    key = (seconds * 2 ** 38 + cdr.c.acctid) * 4 + way
    first = func.min(cdr.c.calldate)
    time = cdr.c.calldate.type
    calls = (
        select(
            (epoch(dialect, first) // QUARTER).label("quarter"),
            (func.min(key) % 4).label("direction"),
            func.max(_flag(cdr.c.disposition == "ANSWERED")).label("answered"),
            func.coalesce(epoch(dialect, func.max(func.coalesce(cdr.c.end, cdr.c.calldate)))
                          - epoch(dialect, func.min(case((cdr.c.disposition == "ANSWERED", cdr.c.answer)))),
                          0).label("talk"),
        )
        .where(scope.visible(), *_bounds())
        .group_by(cdr.c.call)
        .having(first >= bindparam("first", type_=time), first < bindparam("last", type_=time))
        .subquery("calls")
    )
    keys = (calls.c.quarter, calls.c.direction, calls.c.answered)
    return select(*keys, func.count(), func.sum(calls.c.talk)).group_by(*keys)


@lru_cache(maxsize=256)  # per scope: the users' few sets of companies
def billed_statement(dialect: str, scope: Scope) -> Select[Any]:
    """BilledGroups of the legs billed to the scope started in [start, end)."""
    keys = ((epoch(dialect, cdr.c.calldate) // QUARTER).label("quarter"), cdr.c.currency, cdr.c.cost_currency)
    return select(
        *keys, func.count(), func.coalesce(func.sum(cdr.c.billsec), 0), func.coalesce(func.sum(cdr.c.price), 0),
        func.coalesce(func.sum(cdr.c.cost), 0), func.sum(_flag(cdr.c.rating == UNRATED)),
    ).where(scope.mine(cdr.c.bill_to), *_bounds()).group_by(*keys)


@lru_cache(maxsize=256)  # per scope: the users' few sets of companies
def destinations_statement(scope: Scope) -> Select[Any]:
    """The `top` Destinations billed to the scope in [start, end), most called first (each call's
    legs to a number summed first: two hashings cost less than a sort for count(DISTINCT))."""
    priced = func.count(cdr.c.price) == func.count()
    per_call = (
        select(cdr.c.dial_full, func.max(cdr.c.destination).label("name"),
               func.coalesce(func.sum(cdr.c.billsec), 0).label("billsec"),
               case((priced, func.sum(cdr.c.price))).label("price"),
               func.min(cdr.c.currency).label("low"), func.max(cdr.c.currency).label("high"))
        .where(scope.mine(cdr.c.bill_to), func.coalesce(cdr.c.dial_full, "") != "", *_bounds())
        .group_by(cdr.c.dial_full, cdr.c.call)
        .subquery("per_call")
    )
    one_currency = and_(func.min(per_call.c.low) == func.max(per_call.c.high), func.count(per_call.c.price) == func.count())
    calls = func.count()
    return (
        select(per_call.c.dial_full, func.max(per_call.c.name), calls, func.sum(per_call.c.billsec),
               case((one_currency, func.sum(per_call.c.price))), case((one_currency, func.min(per_call.c.low))))
        .group_by(per_call.c.dial_full)
        .order_by(calls.desc(), per_call.c.dial_full)
        .limit(bindparam("top", type_=Integer))
    )


@lru_cache(maxsize=256)  # per scope: the users' few sets of companies
def parties_statement(scope: Scope) -> Select[Any]:
    """Parties of the scope's legs in [start, end): the calls each channel (its suffix cut) placed
    as Party A of a leg of the scope's company, or was rung in as Party B of one to it."""
    sides = []
    for placed, column, side in ((True, cdr.c.channel, cdr.c.company), (False, cdr.c.dstchannel, cdr.c.target)):
        sides.append(select(literal(placed).label("placed"), func.rtrim(column, SUFFIX).label("party"), cdr.c.call)
                     .where(scope.mine(side), column != "", *_bounds()))
    calls = union_all(*sides).subquery("parties")
    each = select(calls.c.placed, calls.c.party, calls.c.call).distinct().subquery("each")
    return select(each.c.placed, each.c.party, func.count()).group_by(each.c.placed, each.c.party)


def call_groups(conn: Connection, scope: Scope, start: datetime, end: datetime) -> list[CallGroup]:
    """The scope's calls that started in [start, end), grouped by quarter-hour and kind."""
    rows = conn.execute(calls_statement(conn.dialect.name, scope), calls_params(start, end)).all()
    return [CallGroup(q, WAYS[way], bool(a), n, int(t or 0)) for q, way, a, n, t in rows]


def calls_params(start: datetime, end: datetime) -> dict[str, Any]:
    """calls_statement's parameters for the calls started in [start, end) (at most MAX_SPAN with its margins)."""
    widened = start - MARGIN
    if end + MARGIN - widened > MAX_SPAN:
        raise ValueError(f"a dashboard covers at most {MAX_SPAN.days - 1} days, not {start} to {end}")
    return {"start": widened, "end": end + MARGIN, "base": int(widened.timestamp()), "first": start, "last": end}


def billed_groups(conn: Connection, scope: Scope, start: datetime, end: datetime) -> list[BilledGroup]:
    """The scope's billed legs started in [start, end), grouped by quarter-hour and currencies."""
    rows = conn.execute(billed_statement(conn.dialect.name, scope), {"start": start, "end": end}).all()
    return [BilledGroup(q, cur, cost_cur, n, int(s), int(p), int(c), int(u or 0)) for q, cur, cost_cur, n, s, p, c, u in rows]


def destinations(conn: Connection, scope: Scope, start: datetime, end: datetime, top: int) -> list[Destination]:
    """The `top` outside numbers the scope called most in [start, end)."""
    rows = conn.execute(destinations_statement(scope), {"start": start, "end": end, "top": top}).all()
    return [Destination(number, name, n, int(s), None if p is None else int(p), cur)
            for number, name, n, s, p, cur in rows]


def parties(conn: Connection, scope: Scope, start: datetime, end: datetime) -> list[Party]:
    """Every channel of the scope's legs in [start, end) with the calls it placed or was rung in."""
    rows = conn.execute(parties_statement(scope), {"start": start, "end": end}).all()
    return [Party(bool(placed), channel, n) for placed, channel, n in rows]
