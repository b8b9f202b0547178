"""Rating stored legs again (`calldata rerate`, `outcalls` with `recalc`): acctids never change.

Only legs whose rating differs are written; what they held before goes to rate_history with
the time it was replaced, so every amount ever charged stays auditable with the deck version
that produced it. Each batch takes the writers' turn and commits on its own, as reprocess does.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timezone
from typing import Any

import msgspec
from sqlalchemy import Connection, and_, bindparam, func, insert, or_, select, update

from calldata.rating.rater import NOT_RATED, Rater, Rating
from calldata.rating.schema import rate_history
from calldata.store.calls import note_changes
from calldata.store.cdrs import lock_writers
from calldata.store.schema import RATING_COLUMNS, cdr

BATCH = 5000
_INPUTS = (cdr.c.acctid, cdr.c.call, cdr.c.answer, cdr.c.billsec, cdr.c.disposition, cdr.c.bill_to, cdr.c.trunk, cdr.c.dial_full)
_UPDATE = update(cdr).where(cdr.c.acctid == bindparam("_acctid")).values({n: bindparam(n) for n in RATING_COLUMNS})


class Rerated(msgspec.Struct):
    """What a re-rating did: legs looked at, legs whose rating changed."""

    examined: int = 0
    changed: int = 0


def rating_of(rater: Rater, leg: Any) -> Rating:
    """The rating of a stored leg (a row with the inputs' names)."""
    return rater.rate(leg.answer, leg.billsec, leg.disposition, leg.bill_to, leg.trunk, leg.dial_full)


def _window(start: datetime, end: datetime, companies: Collection[str] | None) -> list[Any]:
    """The legs that may carry a rating: billed to someone, or holding one that may have to go."""
    where = [cdr.c.calldate >= start, cdr.c.calldate < end,
             or_(cdr.c.bill_to != "", and_(cdr.c.rating.is_not(None), cdr.c.rating != ""))]
    if companies is not None:
        where.append(cdr.c.bill_to.in_(sorted(companies)))
    return where


def pending(conn: Connection, start: datetime, end: datetime, companies: Collection[str] | None = None) -> int:
    """How many legs a re-rating of the window looks at (for its progress bar)."""
    return conn.execute(select(func.count()).select_from(cdr).where(*_window(start, end, companies))).scalar_one()


def differs(leg: Any, new: Rating) -> bool:
    """Whether a stored leg (a row holding RATING_COLUMNS) must be written with `new`: not when
    they are equal, nor when `new` says "not a rated leg" of one never rated ("" or NULL)."""
    return tuple(getattr(leg, n) for n in RATING_COLUMNS) != tuple(new) and not (new == NOT_RATED and not leg.rating)


def keep_history(conn: Connection, replaced: Sequence[Any]) -> int:
    """Copy to rate_history the ratings that the legs `replaced` (rows holding acctid and
    RATING_COLUMNS, about to be rated again) hold, when they hold one; how many were kept."""
    now = datetime.now(timezone.utc)
    kept = [{"acctid": leg.acctid, "replaced_at": now, **{n: getattr(leg, n) for n in RATING_COLUMNS}}
            for leg in replaced if leg.rating]
    if kept:
        conn.execute(insert(rate_history), kept)
    return len(kept)


def write(conn: Connection, legs: Sequence[Any], ratings: Sequence[Rating]) -> int:
    """Store the ratings that differ from the legs' (rows holding acctid, call and RATING_COLUMNS),
    keeping the old; the writers' lock must be held (the calls' change sequence is taken)."""
    changed = [(leg, new) for leg, new in zip(legs, ratings) if differs(leg, new)]
    if not changed:
        return 0
    keep_history(conn, [leg for leg, _ in changed])
    conn.execute(_UPDATE, [{"_acctid": leg.acctid, **new._asdict()} for leg, new in changed])
    note_changes(conn, {leg.call for leg, _ in changed if leg.call})  # the calls feed and kept reports see it
    return len(changed)


def rerate(conn: Connection, rater: Rater, start: datetime, end: datetime, companies: Collection[str] | None = None,
           *, batch: int = BATCH, progress: Callable[[int], None] | None = None) -> Rerated:
    """Rate again every leg of [start, end) (billed to `companies`), in acctid batches."""
    total = Rerated()
    last = 0
    where = _window(start, end, companies)
    while True:
        lock_writers(conn)
        legs = conn.execute(
            select(*_INPUTS, *(cdr.c[n] for n in RATING_COLUMNS))
            .where(*where, cdr.c.acctid > last).order_by(cdr.c.acctid).limit(batch)
        ).all()
        if not legs:
            conn.commit()
            break
        last = legs[-1].acctid
        total.examined += len(legs)
        total.changed += write(conn, legs, [rating_of(rater, leg) for leg in legs])
        conn.commit()
        if progress is not None:
            progress(len(legs))
    return total
