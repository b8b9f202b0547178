"""The I/O of a statement: the legs billed to a company (or out through any trunk) in a period.

A company's legs are found by `bill_to` (who pays), not by `company` (whose side placed them):
a call an extension forwarded or transferred out, or one dialled out through remote dial-in,
is paid by the company though no device of it placed it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from calldata.rating.rater import RATED, UNRATED
from calldata.rating.schema import rate_deck
from calldata.reports.roster import Roster
from calldata.statements.build import FORWARDED, BilledLeg
from calldata.statements.carriers import TrunkLeg
from calldata.store.schema import cdr


def precision_of(deck: Any) -> Any:
    """The decimals of the rate_deck `deck` (a column naming one): how its amounts are shown."""
    return select(rate_deck.c.precision).where(rate_deck.c.id == deck).scalar_subquery()


def in_period(start: datetime, end: datetime) -> list[Any]:
    """Legs started in [start, end) that rating prices or would: rated ones, and answered legs out
    through a trunk that rating has not looked at yet."""
    return [cdr.c.calldate >= start, cdr.c.calldate < end,
            or_(cdr.c.rating.is_not(None), and_(cdr.c.disposition == "ANSWERED", cdr.c.trunk != ""))]


def caller_extension(roster: Roster, company: str, channel: str, xfer: str | None, dial_short: str | None,
                     auth: str | None) -> str:
    """Whose call a leg billed to `company` is: the extension of the device that placed it; else
    the extension that transferred it (`xfer`) or was dialled and forwarded it (`dial_short`);
    else the remote dial-in code's id (`auth`); else FORWARDED."""
    device = roster.device(channel)
    if device is not None and device[0] == company:
        return device[1]
    if xfer:
        return xfer
    if dial_short and dial_short in roster.directory.companies[company].extensions:
        return dial_short
    return auth or FORWARDED


def billed_legs(conn: Connection, roster: Roster, company: str, start: datetime, end: datetime) -> list[BilledLeg]:
    """The legs billed to `company` started in [start, end), in time order."""
    rows = conn.execute(
        select(cdr.c.channel, cdr.c.xfer, cdr.c.dial_short, cdr.c.auth, cdr.c.billsec, cdr.c.rating, cdr.c.price,
               cdr.c.currency, cdr.c.destination, precision_of(cdr.c.sell_deck))
        .where(cdr.c.bill_to == company, *in_period(start, end))
        .order_by(cdr.c.calldate, cdr.c.acctid)
    )
    return [BilledLeg(caller_extension(roster, company, *row[:4]), *row[4:]) for row in rows]


def trunk_legs(conn: Connection, start: datetime, end: datetime) -> list[TrunkLeg]:
    """The legs out through a trunk started in [start, end) that rating looked at, by trunk."""
    rows = conn.execute(
        select(cdr.c.trunk, cdr.c.billsec, cdr.c.price, cdr.c.currency, precision_of(cdr.c.sell_deck), cdr.c.cost,
               cdr.c.cost_currency, precision_of(cdr.c.buy_deck))
        .where(cdr.c.trunk != "", cdr.c.rating.in_((RATED, UNRATED)), cdr.c.calldate >= start,
               cdr.c.calldate < end)
        .order_by(cdr.c.trunk, cdr.c.calldate, cdr.c.acctid)
    )
    return [TrunkLeg(*row) for row in rows]
