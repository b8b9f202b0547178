"""The one query of a report: a company's attributed legs of one period, by an index on
(company, calldate) for its calls out or (target, calldate) for its calls in."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, Select, select

from calldata.store.schema import cdr


class Leg(NamedTuple):
    """The columns of a stored leg that a report shows or decides by."""

    acctid: int
    calldate: datetime
    answer: datetime | None
    end: datetime | None
    src: str
    channel: str
    dstchannel: str
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


_COLUMNS = [cdr.c[name] for name in Leg._fields]
SIDES = {"company": cdr.c.company, "target": cdr.c.target}  # calls out, calls in


def statement(side: str, company: str, start: datetime, end: datetime) -> Select[tuple[object, ...]]:
    """The report's SELECT, on its own so its plan can be examined (bench/reports.py EXPLAINs it)."""
    column = SIDES[side]
    return (
        select(*_COLUMNS)
        .where(column == company, cdr.c.calldate >= start, cdr.c.calldate < end)
        .order_by(cdr.c.calldate, cdr.c.acctid)
    )


def legs(conn: Connection, side: str, company: str, start: datetime, end: datetime) -> list[Leg]:
    """The legs whose `side` (company or target) is `company`, started in [start, end), in time order."""
    return [Leg(*row) for row in conn.execute(statement(side, company, start, end))]
