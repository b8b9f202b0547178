"""The call browser's query: calls (by their first leg) in start-time order, filtered, keyset paged.

A call is listed at its first leg (lowest acctid). The walk goes down (or up) the
(calldate, acctid) index from a cursor and is bounded: at most SCAN calls are looked at per
statement, so a filter that matches little never reads the whole table in one page; the page then
says how far it searched and offers to search on from there (honest paging, never a lie or a
timeout). What SQL can test on the legs is tested there; the exact outcome (abandoned needs the
queue_log) is decided by `calldata.calls.build.outcome` on the built call, never re-implemented.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, Connection, Select, and_, exists, literal, not_, or_, select, tuple_

from calldata.calls.build import ABANDONED, OUTCOMES
from calldata.calls.page import built
from calldata.rating.money import from_micros
from calldata.rating.schema import rate_deck
from calldata.recordings.schema import recording
from calldata.store.calls import first_leg, sequences
from calldata.store.reads import COMPANY_COLUMNS
from calldata.store.schema import cdr

SCAN = 2000  # calls looked at per statement: bounds a sparse filter's page (bench/console.py, RESULTS.md)
ROUNDS = 4  # statements per page at most when the outcome is checked on built calls
MISSED = "missed"  # any outcome but answered
OUTCOME_CHOICES = ("answered", MISSED, *(o for o in OUTCOMES.values() if o != "answered"), ABANDONED)
DIRECTIONS = ("inbound", "outbound", "internal")


class Cursor(NamedTuple):
    """Where a page starts or ends: a first leg's (calldate, acctid)."""

    calldate: datetime
    acctid: int


@dataclass(frozen=True, slots=True)
class CallFilter:
    """What the browser asks for; None (or False) leaves a criterion out."""

    start: datetime | None = None  # first leg at or after
    end: datetime | None = None  # first leg before
    company: str | None = None  # a leg's company, target or bill_to
    extension: str | None = None  # a leg's source extension or the extension it dialled
    number: str | None = None  # digits within a leg's src, dst or dialled number
    direction: str | None = None  # of the first leg: DIRECTIONS
    outcome: str | None = None  # OUTCOME_CHOICES
    recorded: bool = False  # a leg has a recording
    newest_first: bool = True


@dataclass(slots=True)
class CallPage:
    """A page: the built calls with the browser's extras, the cursors to page on from it, and
    `searched_to` when the scan bound stopped the search before the page filled."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    before: Cursor | None = None  # the page that comes earlier in the chosen order ends here
    after: Cursor | None = None  # the page that comes later starts here
    searched_to: Cursor | None = None


def direction(company: str | None, target: str | None) -> str:
    """A call's direction from its first leg: from outside (the caller has no company), to the
    outside (nobody of a company was called), or between parties of companies; "" when undecided."""
    if company is None or target is None:
        return ""
    return "inbound" if company == "" else "outbound" if target == "" else "internal"


def _direction_sql(name: str, first: Any) -> ColumnElement[bool]:
    """`direction` in SQL, on the first leg's columns (the two must agree: tests/calls/test_browse.py)."""
    if name == "inbound":
        return first.c.company == ""
    if name == "outbound":
        return and_(first.c.company != "", first.c.target == "")
    return and_(first.c.company != "", first.c.target != "")


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _visible(leg: Any, companies: Collection[str]) -> ColumnElement[bool]:
    names = list(companies)
    return or_(*(leg.c[c].in_(names) for c in COMPANY_COLUMNS))


def _conditions(filt: CallFilter, companies: Collection[str] | None, first: Any) -> list[ColumnElement[bool]]:
    """Conditions on a walked first leg's call, each an EXISTS over its legs (probing the call index)."""
    conditions: list[ColumnElement[bool]] = []

    def some_leg(where: Any) -> ColumnElement[bool]:
        leg = cdr.alias()
        return exists().where(leg.c.call == first.c.call, *where(leg))

    for allowed in (companies, [filt.company] if filt.company else None):
        if allowed is not None:
            conditions.append(some_leg(lambda leg, allowed=allowed: [_visible(leg, allowed)]))
    if filt.extension:
        ext = filt.extension
        conditions.append(some_leg(lambda leg: [or_(leg.c.src_ext == ext, leg.c.dial_short == ext)]))
    if filt.number:
        pattern = _like(filt.number)
        conditions.append(some_leg(lambda leg: [or_(*(leg.c[c].like(pattern, escape="\\")
                                                      for c in ("src", "dst", "dial_full")))]))
    if filt.direction:
        conditions.append(_direction_sql(filt.direction, first))
    if filt.recorded:
        conditions.append(some_leg(lambda leg: [exists().where(recording.c.acctid == leg.c.acctid)]))
    if filt.outcome:
        # necessary, not sufficient: the built call's outcome decides (over the legs the reader sees)
        answered = some_leg(lambda leg: [leg.c.disposition == "ANSWERED",
                                         *([] if companies is None else [_visible(leg, companies)])])
        conditions.append(answered if filt.outcome == "answered" else not_(answered))
    return conditions


def _order(table: Any, descending: bool) -> tuple[Any, Any]:
    if descending:
        return table.c.calldate.desc(), table.c.acctid.desc()
    return table.c.calldate.asc(), table.c.acctid.asc()


def _walk(filt: CallFilter, cursor: Cursor | None, descending: bool) -> Select[Any]:
    """The first legs from the cursor on, in the walk's order (down or up the calldate index)."""
    stmt = select(cdr.c.call, cdr.c.calldate, cdr.c.acctid, cdr.c.company, cdr.c.target).where(first_leg())
    if filt.start is not None:
        stmt = stmt.where(cdr.c.calldate >= filt.start)
    if filt.end is not None:
        stmt = stmt.where(cdr.c.calldate < filt.end)
    if cursor is not None:
        key = tuple_(cdr.c.calldate, cdr.c.acctid)
        at = tuple_(literal(cursor.calldate, cdr.c.calldate.type), literal(cursor.acctid, BigInteger))
        stmt = stmt.where(key < at if descending else key > at)
    return stmt.order_by(*_order(cdr, descending))


Found = tuple[str, Cursor, str | None, str | None]  # call, its cursor, first leg's company and target


def statement(filt: CallFilter, companies: Collection[str] | None, cursor: Cursor | None, descending: bool,
              limit: int) -> Select[Any]:
    """The page's statement: up to `limit` matching first legs among the next SCAN in walk order."""
    # the walk's order carries through the subquery: the outer LIMIT stops it early on a full page
    walked = _walk(filt, cursor, descending).limit(SCAN).subquery("walked")
    return (select(walked).where(*_conditions(filt, companies, walked))
            .order_by(*_order(walked, descending)).limit(limit))


def candidates(conn: Connection, filt: CallFilter, companies: Collection[str] | None, cursor: Cursor | None,
               descending: bool, limit: int) -> tuple[list[Found], Cursor | None]:
    """Up to `limit` matching calls in walk order; and, when fewer matched among the SCAN calls
    looked at, the last of those (None: the walk reached the end, nothing more can match)."""
    if companies is not None and not companies:
        return [], None
    stmt = statement(filt, companies, cursor, descending, limit)
    found = [(row.call, Cursor(row.calldate, row.acctid), row.company, row.target) for row in conn.execute(stmt)]
    if len(found) >= limit:
        return found, None
    bound = conn.execute(_walk(filt, cursor, descending).offset(SCAN - 1).limit(1)).first()
    return found, None if bound is None else Cursor(bound.calldate, bound.acctid)


def _matches(wanted: str | None, outcome: str) -> bool:
    if wanted is None:
        return True
    return outcome != "answered" if wanted == MISSED else outcome == wanted


def _visible_legs(companies: Collection[str] | None) -> list[ColumnElement[bool]]:
    return [] if companies is None else [_visible(cdr, companies)]


def prices(conn: Connection, calls: list[str], companies: Collection[str] | None) -> dict[str, list[str]]:
    """Call -> its rated legs' price per currency ("0.1400 GBP"), each at its deck's precision."""
    totals: dict[str, dict[str, tuple[int, int]]] = {}
    stmt = (select(cdr.c.call, cdr.c.price, cdr.c.currency, rate_deck.c.precision)
            .join(rate_deck, rate_deck.c.id == cdr.c.sell_deck)
            .where(cdr.c.call.in_(calls), cdr.c.price.is_not(None), *_visible_legs(companies)))
    for call, micros, currency, precision in conn.execute(stmt):
        total, places = totals.setdefault(call, {}).get(currency, (0, 0))
        totals[call][currency] = (total + micros, max(places, precision))
    return {call: [f"{from_micros(total, places)} {currency}" for currency, (total, places) in sorted(each.items())]
            for call, each in totals.items()}


def recorded(conn: Connection, calls: list[str], companies: Collection[str] | None) -> set[str]:
    """The calls among `calls` with a recording of a leg the reader sees."""
    stmt = (select(cdr.c.call).join(recording, recording.c.acctid == cdr.c.acctid)
            .where(cdr.c.call.in_(calls), *_visible_legs(companies)).distinct())
    return set(conn.execute(stmt).scalars())


def page(conn: Connection, filt: CallFilter, companies: Collection[str] | None, cursor: Cursor | None,
         backward: bool, size: int, zone: ZoneInfo) -> CallPage:
    """`size` calls from `cursor` on in the filter's order (`backward`: the page before it), built
    from the legs `companies` may see (None: all), each with `direction`, `recorded` and `prices`."""
    descending = filt.newest_first != backward
    kept: list[tuple[Found, dict[str, Any]]] = []
    key, searched_to = cursor, None
    for _ in range(ROUNDS):
        found, bound = candidates(conn, filt, companies, key, descending, size + 1)
        ids = [each[0] for each in found]
        calls = {value["call"]: value for value in built(conn, ids, zone, companies, sequences(conn, ids))}
        kept += [(each, calls[each[0]]) for each in found
                 if each[0] in calls and calls[each[0]]["legs"] and _matches(filt.outcome, calls[each[0]]["outcome"])]
        if len(found) <= size:
            searched_to = bound
            break
        if len(kept) > size:
            break
        key = found[-1][1]
    else:
        searched_to = key if len(kept) <= size else None
    more = len(kept) > size
    kept = kept[:size]
    if backward:
        kept.reverse()
    ids = [each[0] for each, _call in kept]
    priced, heard = prices(conn, ids, companies), recorded(conn, ids, companies)
    result = CallPage(searched_to=searched_to)
    for (call, _at, company, target), value in kept:
        result.calls.append({**value, "direction": direction(company, target), "recorded": call in heard,
                             "prices": priced.get(call, [])})
    first, last = (kept[0][0][1], kept[-1][0][1]) if kept else (cursor, cursor)
    result.before = first if (more if backward else cursor is not None) else None
    result.after = last if (cursor is not None if backward else more) else None
    return result
