"""The queries behind calls (/rest/call/calls, exports): a page of calls by their first acctid or by
change sequence, their legs, and the change feed attribution writes."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import BigInteger, Connection, Select, and_, bindparam, exists, or_, select, text

from calldata.store.reads import COMPANY_COLUMNS
from calldata.store.schema import call_change, cdr

_CHUNK = 500  # call ids per IN (...) list: well under SQLite's bound-parameter limit


class CallLeg(NamedTuple):
    """The columns of a stored leg that a call is built from."""

    acctid: int
    calldate: datetime
    answer: datetime | None
    end: datetime | None
    src: str
    dst: str
    channel: str
    dstchannel: str
    lastapp: str
    billsec: int
    disposition: str
    call: str
    company: str | None
    target: str | None
    bill_to: str | None
    src_ext: str | None
    dial_short: str | None
    dial_full: str | None
    xfer: str | None
    is_park: bool
    is_pick: bool
    uniqueid: str  # its Party A's channel: a caller's queue_log callid

    def visible_to(self, companies: Collection[str] | None) -> bool:
        """A restricted reader sees a leg whose company, target or bill_to is one of theirs."""
        return companies is None or any(getattr(self, c) in companies for c in COMPANY_COLUMNS)


class CallScope(NamedTuple):
    """Which calls: first acctid from `min_id`, first leg started in [min_date, max_date), visible to `companies`."""

    min_id: int = 0
    min_date: datetime | None = None
    max_date: datetime | None = None
    companies: Collection[str] | None = None


def _visible(call: Any, companies: Collection[str]) -> Any:
    """The call has a leg of one of `companies` (company, target or bill_to)."""
    leg = cdr.alias("visible")
    names = list(companies)
    return exists().where(leg.c.call == call, or_(*(leg.c[c].in_(names) for c in COMPANY_COLUMNS)))


def first_leg() -> Any:
    """The condition that a cdr row is its call's first leg: no leg of the call has a lower acctid
    (an index probe of the call's legs per row, not a grouping of the table)."""
    earlier = cdr.alias("earlier")
    return and_(cdr.c.call.is_not(None),
                ~exists().where(earlier.c.call == cdr.c.call, earlier.c.acctid < cdr.c.acctid))


def first_legs(conn: Connection, scope: CallScope, max_rows: int) -> list[tuple[str, int]]:
    """Up to `max_rows` calls as (call id, first acctid), by first acctid: each call's leg of lowest
    acctid, found by walking the acctid index and probing the call index for an earlier leg."""
    if scope.companies is not None and not scope.companies:
        return []
    stmt: Select[Any] = select(cdr.c.call, cdr.c.acctid).where(
        cdr.c.acctid >= bindparam("min_id", scope.min_id, type_=BigInteger), first_leg())
    if scope.min_date is not None:
        stmt = stmt.where(cdr.c.calldate >= scope.min_date)
    if scope.max_date is not None:
        stmt = stmt.where(cdr.c.calldate < scope.max_date)
    if scope.companies is not None:
        stmt = stmt.where(_visible(cdr.c.call, scope.companies))
    return [(call, acctid) for call, acctid in conn.execute(stmt.order_by(cdr.c.acctid).limit(max_rows))]


def changed_calls(conn: Connection, after: int, max_rows: int,
                  companies: Collection[str] | None = None) -> list[tuple[str, int]]:
    """Up to `max_rows` calls as (call id, change sequence) changed after `after`, in sequence order."""
    if companies is not None and not companies:
        return []
    stmt = select(call_change.c.call, call_change.c.seq).where(call_change.c.seq > after)
    if companies is not None:
        stmt = stmt.where(_visible(call_change.c.call, companies))
    return [(call, seq) for call, seq in conn.execute(stmt.order_by(call_change.c.seq).limit(max_rows))]


def _in_chunks(column: Any, keys: list[Any]) -> Iterable[Any]:
    for i in range(0, len(keys), _CHUNK):
        yield column.in_(keys[i:i + _CHUNK])


def legs_of(conn: Connection, calls: Iterable[str]) -> dict[str, list[CallLeg]]:
    """Call id -> its stored legs in (calldate, acctid) order."""
    found: dict[str, list[CallLeg]] = {}
    columns = [cdr.c[name] for name in CallLeg._fields]
    for clause in _in_chunks(cdr.c.call, sorted(set(calls))):
        for row in conn.execute(select(*columns).where(clause)):
            found.setdefault(row.call, []).append(CallLeg(*row))
    for legs in found.values():
        legs.sort(key=lambda leg: (leg.calldate, leg.acctid))
    return found


def sequences(conn: Connection, calls: Iterable[str]) -> dict[str, int]:
    """Call id -> its change sequence (calls stored before the feed and never written since have none)."""
    found: dict[str, int] = {}
    for clause in _in_chunks(call_change.c.call, sorted(set(calls))):
        found.update((call, seq) for call, seq in conn.execute(select(call_change.c.call, call_change.c.seq).where(clause)))
    return found


# The whole batch's calls as one JSON parameter, new sequences drawn in `calls` order. PostgreSQL:
# one statement, a call seen before taking the new row's sequence in place of its old one.
_PG_NOTE = text("INSERT INTO call_change (call) SELECT json_array_elements_text(CAST(:calls AS json))"
                " ON CONFLICT (call) DO UPDATE SET seq = excluded.seq")
_SQLITE_FORGET = text("DELETE FROM call_change WHERE call IN (SELECT value FROM json_each(:calls))")
_SQLITE_NOTE = text("INSERT INTO call_change (call) SELECT value FROM json_each(:calls) ORDER BY key")


def note_changes(conn: Connection, calls: Iterable[str]) -> None:
    """Give each of `calls` a new change sequence, higher than any before (the writers' lock is held,
    so sequences commit in order and a client reading the feed never skips one committed late)."""
    names = sorted(set(calls))
    if not names:
        return
    calls_json = {"calls": msgspec.json.encode(names).decode()}
    if conn.dialect.name == "postgresql":
        conn.execute(_PG_NOTE, calls_json)
    else:
        conn.execute(_SQLITE_FORGET, calls_json)
        conn.execute(_SQLITE_NOTE, calls_json)


def rows_of(conn: Connection, call: str) -> list[dict[str, Any]]:
    """Every stored column of a call's legs, in (calldate, acctid) order (the console's call view)."""
    stmt = select(cdr).where(cdr.c.call == call).order_by(cdr.c.calldate, cdr.c.acctid)
    return [dict(row) for row in conn.execute(stmt).mappings()]
