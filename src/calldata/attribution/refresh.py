"""Attribution at the store's edge: load the legs of the calls a change touches, decide, update.

Called by the sink for every stored batch (same transaction), and by `calldata reprocess` over
stored rows. Each leg is rated in the same pass (calldata.rating: the decks in force under the
directory's plan), so a new row is written once with its properties and its rating. Only rows
whose properties, call, directory version or rating change are written, so running it again
changes nothing; a rating replaced goes to rate_history first, as `calldata rerate` keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import JSON, BigInteger, Connection, Integer, bindparam, cast, func, or_, select, text, union, update

from calldata.attribution import versions
from calldata.attribution.lookup import Lookup
from calldata.attribution.properties import PROPERTIES, decide
from calldata.cdr import Cdr
from calldata.rating import decks as rate_decks
from calldata.rating.rater import NOT_RATED, Rater
from calldata.rating.rerate import differs, keep_history
from calldata.store.calls import note_changes
from calldata.store.cdrs import ATTRIBUTES, lock_writers
from calldata.store.keysets import among
from calldata.store.schema import PROPERTY_FLAGS, PROPERTY_TEXT, RATING_COLUMNS, RATING_TYPES, cdr

_ROUNDS = 4  # linkedid -> call -> linkedid ... expansions; a call is rarely more than 2 deep
CHANNEL_WINDOW = timedelta(days=1)  # how far apart two legs sharing a channel may start
_LEG_COLUMNS = [
    cdr.c.acctid, cdr.c.calldate.label("start"), cdr.c.answer, cdr.c.end, cdr.c.src, cdr.c.dst,
    cdr.c.dcontext, cdr.c.channel, cdr.c.dstchannel, cdr.c.lastapp, cdr.c.lastdata,
    cdr.c.disposition, cdr.c.accountcode, cdr.c.peeraccount, cdr.c.userfield, cdr.c.uniqueid,
    cdr.c.linkedid, cdr.c.call, cdr.c.directory_version, cdr.c.billsec,
    *(cdr.c[name] for name in RATING_COLUMNS),
    *(cdr.c[name] for name in PROPERTIES),  # last (_FIRST_PROPERTY)
]
_FIRST_PROPERTY = len(_LEG_COLUMNS) - len(PROPERTIES)
_WRITTEN = ATTRIBUTES
_UNDECIDED = (None,) * len(PROPERTY_TEXT) + (False,) * len(PROPERTY_FLAGS)  # no directory
_NOT_LOOKED_AT = (None,) * len(RATING_COLUMNS)  # a new row's rating without a directory: NULL
_BILL_TO, _TRUNK, _DIAL_FULL = (PROPERTIES.index(name) for name in ("bill_to", "trunk", "dial_full"))
_UPDATE = update(cdr).where(cdr.c.acctid == bindparam("_acctid")).values({n: bindparam(n) for n in _WRITTEN})
# PostgreSQL: the whole batch in one statement, one array per column.
_PG_TYPES = {**{n: "text" for n in PROPERTY_TEXT}, **{n: "boolean" for n in PROPERTY_FLAGS},
             "call": "text", "directory_version": "integer", "_acctid": "bigint",
             **{n: {BigInteger: "bigint", Integer: "integer"}.get(RATING_TYPES.get(n), "text") for n in RATING_COLUMNS}}
_PG_UPDATE = text(
    "UPDATE cdr SET " + ", ".join(f'"{n}" = v."{n}"' for n in _WRITTEN)
    + " FROM unnest(" + ", ".join(f"CAST(:{n} AS {_PG_TYPES[n]}[])" for n in ("_acctid", *_WRITTEN))
    + ') AS v("_acctid", ' + ", ".join(f'"{n}"' for n in _WRITTEN) + ') WHERE cdr.acctid = v."_acctid"'
)


class Refreshed(msgspec.Struct):
    """What one refresh did: legs examined (whole calls) and rows whose attribution changed."""

    examined: int = 0
    updated: int = 0


def _ids(conn: Connection, columns: Any, keys: set[Any], *window: Any) -> set[int]:
    """The acctids of the rows whose `columns` (one, or a tuple) hold one of `keys` (index lookups).

    Within a calldate `window` on PostgreSQL the keys are joined (one JSON parameter): whether
    the planner reads the window and hashes the keys or probes an index per key, no row is
    tested against a list of keys (a generic plan once did that: bench/RESULTS.md), and no array
    literal is planned element by element (15 ms of a 5,000-leg batch's 25)."""
    items = list(keys)
    if not items:
        return set()
    columns = columns if isinstance(columns, tuple) else (columns,)
    if window and conn.dialect.name == "postgresql":
        joined = select(func.json_array_elements_text(cast(bindparam("keys", msgspec.json.encode(items).decode()), JSON))
                        .label("key")).subquery("k")
        stmt: Any = union(*(select(cdr.c.acctid).join(joined, column == joined.c.key).where(*window) for column in columns))
        return set(conn.execute(stmt).scalars())
    clause = or_(*(among(conn, column, items, f"keys_{i}") for i, column in enumerate(columns)))
    return set(conn.execute(select(cdr.c.acctid).where(clause, *window)).scalars())


def _rows(conn: Connection, acctids: set[int], into: dict[int, Any]) -> list[Any]:
    """Load the full rows of `acctids` not loaded yet."""
    missing = acctids - into.keys()
    if not missing:
        return []
    found = list(conn.execute(select(*_LEG_COLUMNS).where(among(conn, cdr.c.acctid, missing))))
    for row in found:
        into[row.acctid] = row
    return found


def legs_of_calls(conn: Connection, acctids: Iterable[int]) -> list[Any]:
    """The stored legs of every call that the rows `acctids` belong to, as far as is stored.

    The rows themselves, the rows sharing their linkedid (uniqueid when there is none) or a
    channel, and then, repeatedly, the rows of the calls and linkedids found. Keys are matched
    on acctids first, so each full row is read once.
    """
    loaded: dict[int, Any] = {}
    found = _rows(conn, set(acctids), loaded)
    if found:
        _linked(conn, found, loaded)
    return list(loaded.values())


def _linked(conn: Connection, found: list[Any], loaded: dict[int, Any]) -> None:
    """Load into `loaded` the stored rows linked to the legs `found` (stored or not), see above."""
    if conn.dialect.name == "postgresql":
        # psycopg prepares a statement run 5 times; PostgreSQL's generic plan for it once scanned
        # the calldate window testing each row against the whole channel array (seconds a batch
        # on 100k rows). Plans made for the actual window and keys choose between the indexes
        # and the window (the keys are joined now, see _ids, but a generic plan still cannot
        # tell a window of a day from one of a year).
        conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    channels = {c for row in found for c in (row.channel, row.dstchannel) if c}
    # Channel names are reused (IAX2 call numbers, DAHDI spans): look only around these rows.
    window = (cdr.c.calldate >= min(r.start for r in found) - CHANNEL_WINDOW,
              cdr.c.calldate <= max(r.start for r in found) + CHANNEL_WINDOW)
    sharing = _ids(conn, (cdr.c.channel, cdr.c.dstchannel), channels, *window)
    found = found + _rows(conn, sharing, loaded)
    seen_links: set[str] = set()
    seen_uids: set[str] = set()
    seen_calls: set[str] = set()
    for _ in range(_ROUNDS):
        links = {r.linkedid for r in found if r.linkedid} - seen_links
        uids = {r.uniqueid for r in found if not r.linkedid and r.uniqueid} - seen_uids
        call_ids = {c for r in found if (c := getattr(r, "call", None))} - seen_calls  # a Cdr has none yet
        if not (links or uids or call_ids):
            break
        seen_links |= links
        seen_uids |= uids
        seen_calls |= call_ids
        more = _ids(conn, cdr.c.linkedid, links) | _ids(conn, cdr.c.uniqueid, uids) | _ids(conn, cdr.c.call, call_ids)
        found = _rows(conn, more, loaded)


def attribute_new(conn: Connection, records: Sequence[Cdr], lookup: Lookup | None) -> tuple[list[tuple[Any, ...]], int]:
    """Decide records about to be stored, with the stored legs of their calls, before inserting.

    Answers each record's `ATTRIBUTES` (to insert with it, so a new row is written once) and
    writes only the stored legs whose attribution the new legs change; returns how many.
    `records` must be new (`store.cdrs.unstored`) and the writers' lock held.
    """
    loaded: dict[int, Any] = {}
    _linked(conn, list(records), loaded)
    stored = list(loaded.values())
    legs: list[Any] = [*stored, *records]
    call_of, props = decide(legs, lookup)
    version = None if lookup is None else lookup.version
    rater = rater_of(conn, lookup)
    n = len(stored)
    attributes = [
        (*_UNDECIDED, call_id, None, *_NOT_LOOKED_AT) if values is None
        else (*values, call_id, version, *(_NOT_LOOKED_AT if rater is None else rate_leg(rater, leg, values)))
        for leg, call_id, values in zip(records, call_of[n:], props[n:])
    ]
    note_changes(conn, call_of[n:])  # the calls the new legs join (they are inserted next)
    return attributes, _write(conn, stored, call_of[:n], props[:n], version, rater)


def apply(conn: Connection, legs: Sequence[Any], lookup: Lookup | None) -> Refreshed:
    """Decide `legs` (whole calls) and write the rows whose attribution changed."""
    return _apply(conn, legs, lookup)[0]


def _apply(conn: Connection, legs: Sequence[Any], lookup: Lookup | None) -> tuple[Refreshed, list[str]]:
    call_of, props = decide(legs, lookup)
    version = None if lookup is None else lookup.version
    updated = _write(conn, legs, call_of, props, version, rater_of(conn, lookup))
    return Refreshed(examined=len(legs), updated=updated), call_of


def rater_of(conn: Connection, lookup: Lookup | None) -> Rater | None:
    """The Rater of the stored decks under the directory's plan; None without a directory."""
    return None if lookup is None else rate_decks.rater(conn, lookup.plan)


def rate_leg(rater: Rater, leg: Any, values: Sequence[Any]) -> tuple[Any, ...]:
    """The RATING_COLUMNS of a leg (a Cdr or a stored row) whose properties are `values`."""
    return tuple(rater.rate(leg.answer, leg.billsec, leg.disposition,
                            values[_BILL_TO], values[_TRUNK], values[_DIAL_FULL]))


def _changes(legs: Sequence[Any], call_of: Sequence[str], props: Sequence[list[Any] | None],
             version: int | None, rater: Rater | None) -> tuple[list[dict[str, Any]], list[Any]]:
    """The stored legs whose decided attribution or rating differs from what they hold, as
    UPDATE rows; and the legs among them whose rating is replaced (for rate_history)."""
    changes = []
    rerated = []
    for leg, call_id, values in zip(legs, call_of, props):
        if values is None:
            if leg.call == call_id:
                continue
            values = _UNDECIDED
            row_version = None
            rating = NOT_RATED
        else:
            row_version = version
            rating = NOT_RATED if rater is None else rate_leg(rater, leg, values)
        new_rating = differs(leg, rating)
        if not new_rating and leg.call == call_id and leg.directory_version == row_version and \
                all(leg[_FIRST_PROPERTY + k] == v for k, v in enumerate(values)):
            continue
        change = dict(zip(PROPERTIES, values))
        change["call"] = call_id
        change["directory_version"] = row_version
        if new_rating:
            change.update(zip(RATING_COLUMNS, rating))
            rerated.append(leg)
        else:
            change.update((n, getattr(leg, n)) for n in RATING_COLUMNS)
        change["_acctid"] = leg.acctid
        changes.append(change)
    return changes, rerated


def _write(conn: Connection, legs: Sequence[Any], call_of: Sequence[str], props: Sequence[list[Any] | None],
           version: int | None, rater: Rater | None) -> int:
    """Update the legs whose attribution or rating changed (a rating replaced is kept in
    rate_history); their calls, and any call a leg left, get a new change sequence
    (calldata.store.calls)."""
    changes, rerated = _changes(legs, call_of, props, version, rater)
    left = {leg.call for leg, call_id in zip(legs, call_of) if leg.call and leg.call != call_id}
    note_changes(conn, {change["call"] for change in changes} | left)
    keep_history(conn, rerated)
    if changes and conn.dialect.name == "postgresql":
        conn.execute(_PG_UPDATE, {n: [c[n] for c in changes] for n in ("_acctid", *_WRITTEN)})
    elif changes:
        conn.execute(_UPDATE, changes)
    return len(changes)


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
        lock_writers(conn)
        # Grouping does not depend on the directory: a row already in a call brings that call's
        # rows; a row never grouped (stored before this feature) brings what it is linked to.
        call_ids = {r.call for r in rows if r.call is not None} - done_calls
        loaded: dict[int, Any] = {}
        _rows(conn, _ids(conn, cdr.c.call, call_ids), loaded)
        ungrouped = [r.acctid for r in rows if r.call is None and r.acctid not in loaded]
        if ungrouped:
            for leg in legs_of_calls(conn, ungrouped):
                loaded.setdefault(leg.acctid, leg)
        legs = list(loaded.values())
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
