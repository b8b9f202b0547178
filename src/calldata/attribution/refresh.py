"""Attribution at the store's edge: load the legs of the calls a change touches, decide, update.

Called by the sink for every stored batch (same transaction), and by `calldata reprocess` over
stored rows. Only rows whose properties, call or directory version change are written, so
running it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, bindparam, func, or_, select, text, update

from calldata.attribution import versions
from calldata.attribution.lookup import Lookup
from calldata.attribution.properties import PROPERTIES, decide
from calldata.store.cdrs import CDR_WRITE_LOCK
from calldata.store.schema import cdr

_CHUNK = 500  # values per IN (...) list: well under SQLite's bound-parameter limit
_ROUNDS = 4  # linkedid -> call -> linkedid ... expansions; a call is rarely more than 2 deep
_LEG_COLUMNS = [
    cdr.c.acctid, cdr.c.calldate.label("start"), cdr.c.answer, cdr.c.end, cdr.c.src, cdr.c.dst,
    cdr.c.dcontext, cdr.c.channel, cdr.c.dstchannel, cdr.c.lastapp, cdr.c.lastdata,
    cdr.c.disposition, cdr.c.accountcode, cdr.c.peeraccount, cdr.c.userfield, cdr.c.uniqueid,
    cdr.c.linkedid, cdr.c.call, cdr.c.directory_version,
    *(cdr.c[name] for name in PROPERTIES),
]
_FIRST_PROPERTY = len(_LEG_COLUMNS) - len(PROPERTIES)
_UPDATE = (
    update(cdr)
    .where(cdr.c.acctid == bindparam("_acctid"))
    .values({name: bindparam(name) for name in (*PROPERTIES, "call", "directory_version")})
)


class Refreshed(msgspec.Struct):
    """What one refresh did: legs examined (whole calls) and rows whose attribution changed."""

    examined: int = 0
    updated: int = 0


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(values)
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


def _load(conn: Connection, column: Any, keys: set[Any], into: dict[int, Any]) -> list[Any]:
    """Rows whose `column` is one of `keys` that are not loaded yet."""
    found = []
    for chunk in _chunks(keys):
        for row in conn.execute(select(*_LEG_COLUMNS).where(column.in_(chunk))):
            if row.acctid not in into:
                into[row.acctid] = row
                found.append(row)
    return found


def _load_channels(conn: Connection, channels: set[str], into: dict[int, Any]) -> list[Any]:
    found = []
    for chunk in _chunks(channels):
        query = select(*_LEG_COLUMNS).where(or_(cdr.c.channel.in_(chunk), cdr.c.dstchannel.in_(chunk)))
        for row in conn.execute(query):
            if row.acctid not in into:
                into[row.acctid] = row
                found.append(row)
    return found


def legs_of_calls(conn: Connection, acctids: Iterable[int]) -> list[Any]:
    """The stored legs of every call that the rows `acctids` belong to, as far as is stored.

    The rows themselves, the rows sharing their linkedid (uniqueid when there is none) or a
    channel, and then, repeatedly, the rows of the calls and linkedids found.
    """
    loaded: dict[int, Any] = {}
    found = _load(conn, cdr.c.acctid, set(acctids), loaded)
    channels = {c for row in found for c in (row.channel, row.dstchannel) if c}
    found += _load_channels(conn, channels, loaded)
    seen_links: set[str] = set()
    seen_uids: set[str] = set()
    seen_calls: set[str] = set()
    for _ in range(_ROUNDS):
        links = {r.linkedid for r in found if r.linkedid} - seen_links
        uids = {r.uniqueid for r in found if not r.linkedid and r.uniqueid} - seen_uids
        call_ids = {r.call for r in found if r.call} - seen_calls
        if not (links or uids or call_ids):
            break
        seen_links |= links
        seen_uids |= uids
        seen_calls |= call_ids
        found = _load(conn, cdr.c.linkedid, links, loaded)
        found += _load(conn, cdr.c.uniqueid, uids, loaded)
        found += _load(conn, cdr.c.call, call_ids, loaded)
    return list(loaded.values())


def apply(conn: Connection, legs: Sequence[Any], lookup: Lookup | None) -> Refreshed:
    """Decide `legs` (whole calls) and write the rows whose attribution changed."""
    return _apply(conn, legs, lookup)[0]


def _apply(conn: Connection, legs: Sequence[Any], lookup: Lookup | None) -> tuple[Refreshed, list[str]]:
    call_of, props = decide(legs, lookup)
    version = None if lookup is None else lookup.version
    changes = []
    for leg, call_id, values in zip(legs, call_of, props):
        if values is None:
            if leg.call == call_id:
                continue
            values = [None] * 10 + [False] * 5
            row_version = None
        else:
            row_version = version
        if leg.call == call_id and leg.directory_version == row_version and \
                all(leg[_FIRST_PROPERTY + k] == v for k, v in enumerate(values)):
            continue
        change = dict(zip(PROPERTIES, values))
        change["call"] = call_id
        change["directory_version"] = row_version
        change["_acctid"] = leg.acctid
        changes.append(change)
    if changes:
        conn.execute(_UPDATE, changes)
    return Refreshed(examined=len(legs), updated=len(changes)), call_of


def attribute_rows(conn: Connection, acctids: Sequence[int], lookup: Lookup | None = None) -> Refreshed:
    """(Re)decide the calls of the stored rows `acctids` with the current directory."""
    if not acctids:
        return Refreshed()
    if lookup is None:
        lookup = versions.current_lookup(conn)
    return apply(conn, legs_of_calls(conn, acctids), lookup)


def reprocess(
    conn: Connection,
    since: datetime | None = None,
    *,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> Refreshed:
    """Re-decide every stored row (from `since` on) with the current directory, in acctid batches.

    Rows keep their acctid; only changed rows are written. Each batch is committed on its own
    (the caller passes a Connection; commits happen here) so a long run can be interrupted.
    """
    lookup = versions.current_lookup(conn)
    total = Refreshed()
    last = 0
    done_calls: set[str] = set()
    while True:
        query = select(cdr.c.acctid, cdr.c.call).where(cdr.c.acctid > last).order_by(cdr.c.acctid).limit(batch)
        if since is not None:
            query = query.where(cdr.c.calldate >= since)
        rows = conn.execute(query).all()
        if not rows:
            break
        last = rows[-1].acctid
        todo = [r.acctid for r in rows if r.call is None or r.call not in done_calls]
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CDR_WRITE_LOCK})
        legs = legs_of_calls(conn, todo) if todo else []
        result, call_ids = _apply(conn, legs, lookup)
        conn.commit()
        done_calls.update(call_ids)
        if len(done_calls) > 1_000_000:
            done_calls.clear()
        total.examined += result.examined
        total.updated += result.updated
        if progress is not None:
            progress(len(rows))
    return total


def pending(conn: Connection, since: datetime | None = None) -> int:
    """How many rows a reprocess from `since` would look at (for its progress bar)."""
    query = select(func.count()).select_from(cdr)
    if since is not None:
        query = query.where(cdr.c.calldate >= since)
    return conn.execute(query).scalar_one()
