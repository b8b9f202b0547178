"""The one query of a report: a company's attributed legs of one period, by an index on
(company, calldate) for its calls out or (target, calldate) for its calls in."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Connection, Select, bindparam, cast, extract, func, literal_column, select

from calldata.rating.schema import rate_deck
from calldata.store.reads import fetch
from calldata.store.schema import cdr

_INSTANTS = ("calldate", "answer", "end")


class Leg(NamedTuple):
    """The columns of a stored leg that a report shows or decides by; instants in epoch seconds."""

    acctid: int
    calldate: int
    answer: int | None
    end: int | None
    src: str
    dst: str
    channel: str
    dstchannel: str
    lastapp: str
    duration: int
    billsec: int
    disposition: str
    src_ext: str | None
    dial_short: str | None
    dial_full: str | None
    trunk: str | None
    target: str | None
    xfer: str | None
    is_pick: bool
    is_bounce: bool
    uniqueid: str = ""  # the caller's channel: its queue_log callid (incalls' qtime, qstatus)
    rating: str | None = None  # calldata.rating.rater.Rating: the price (millionths) and what it is for
    price: int | None = None
    currency: str | None = None
    destination: str | None = None
    destination_kind: str | None = None
    precision: int | None = None  # decimals of the sell deck that priced it: the price is shown with them


SIDES = {"company": cdr.c.company, "target": cdr.c.target}  # calls out, calls in


def epoch(dialect: str, instant: Any) -> Any:
    """An instant (a column, or an aggregate of one) as whole epoch seconds, computed by the database:
    a report of 15,000 legs fetched ~2x faster than as datetimes (bench/RESULTS.md, Call reports).
    PostgreSQL's date_part (a double) costs a third of EXTRACT's numeric (~0.1 us a row, not 0.4)."""
    if dialect == "postgresql":
        return cast(func.floor(func.date_part(literal_column("'epoch'"), instant)), BigInteger)
    return cast(extract("epoch", instant), BigInteger)


@cache
def statement(dialect: str, side: str) -> Select[Any]:
    """The report's SELECT on `dialect` (parameters company, start, end); bench/reports.py EXPLAINs it."""
    column = SIDES[side]
    columns = [epoch(dialect, cdr.c[name]).label(name) if name in _INSTANTS else cdr.c[name] for name in Leg._fields[:-1]]
    # the deck that priced it, made its precision by `legs`: a per-row subquery here cost PostgreSQL
    # a lookup per leg and pushed the plan's estimate over jit_above_cost (+20 ms of JIT a report)
    columns.append(cdr.c.sell_deck)
    return (
        select(*columns)
        .where(column == bindparam("company"), cdr.c.calldate >= bindparam("start", type_=cdr.c.calldate.type),
               cdr.c.calldate < bindparam("end", type_=cdr.c.calldate.type))
        .order_by(cdr.c.calldate, cdr.c.acctid)
    )


def legs(conn: Connection, side: str, company: str, start: datetime, end: datetime) -> list[Leg]:
    """The legs whose `side` (company or target) is `company`, started in [start, end), in time order."""
    rows = fetch(conn, statement(conn.dialect.name, side), {"company": company, "start": start, "end": end})
    shown: dict[int, int] | None = None
    found = []
    for row in rows:
        if row[-1] is not None:  # priced: its deck's precision instead of the deck (rate_deck: a few rows)
            if shown is None:
                shown = {deck: places for deck, places in conn.execute(select(rate_deck.c.id, rate_deck.c.precision))}
            row = (*row[:-1], shown.get(row[-1]))
        found.append(Leg._make(row))
    return found
