"""The page query behind /rest/call/read: keyset paging on `acctid`, rows rendered straight to JSON.

On PostgreSQL each row's JSON is stored when the row is written, and a page joins those
(calldata.store.row_json). On SQLite, and for the CSV export's COPY, the database hands every
value over already in the API's form (times formatted in the display zone, NULLs turned into
""); Python wraps each row in a msgspec Struct and encodes the page in one call. That measured
2-3x faster than having PostgreSQL build each row's JSON with json_build_object at read time
(bench/RESULTS.md). One statement is built per shape of request (which
filters are present, cachedata or not) and reused, so SQLAlchemy compiles each shape once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Interval,
    Select,
    Text,
    bindparam,
    cast,
    event,
    func,
    literal_column,
    or_,
    select,
    case,
    true,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import column as column_clause
from sqlalchemy.sql import table as table_clause
from sqlalchemy.sql.util import ClauseAdapter

from calldata.store.asyncpg_pool import AsyncpgPool
from calldata.store.display_time import SQLITE_TIME_FUNCTION, display_time
from calldata.store.queue_reads import QueueItem, read_events, read_events_pooled
from calldata.store.row_json import BASE_PART, CACHE_PART, RATING_SHOWN, Properties, joined, row_text
from calldata.store.schema import PROPERTY_FLAGS, PROPERTY_TEXT, cdr

# The Asterisk columns every row carries, in the order the contract lists them.
BASE_COLUMNS = ("acctid", "calldate", *BASE_PART)
# Columns `cachedata: true` adds (call-read.md, cachedata), the rating's last (docs/api.md).
CACHE_COLUMNS = ("start", "answer", "end", *CACHE_PART)
# The columns a restricted reader's companies are matched against (call-read.md, permissions).
COMPANY_COLUMNS = ("company", "target", "bill_to")


class Page(NamedTuple):
    """One page: `values` is the JSON array of the rows, `count` how many, `last_acctid` the last one's."""

    values: bytes
    count: int
    last_acctid: int | None


EMPTY = Page(b"[]", 0, None)


# --- the row and the statement ----------------------------------------------------------------

_EMPTY = literal_column("''", Text)
# Amounts are stored in millionths (calldata.rating.money). Constants are SQL literals, not bound
# parameters: the COPY export sends this statement's text with only the page's own parameters.
_MICROS = literal_column("1000000", BigInteger)
_ZERO, _ONE, _SECOND = literal_column("0", Integer), literal_column("1", Integer), literal_column("2", Integer)
_POINT = literal_column("'.'", Text)
# Only the two columns of rating's rate_deck a shown amount needs: the store layer names the
# table without importing calldata.rating (lower layers never import higher ones).
_DECKS = table_clause("rate_deck", column_clause("id", Integer), column_clause("precision", Integer))


def money_text(micros: ColumnElement[int], deck: ColumnElement[int]) -> ColumnElement[str]:
    """Millionths as decimal text with the precision of the deck that priced them (`151700`, 4
    -> `0.1517`), "" when NULL. Integer and string arithmetic only, the same in PostgreSQL and
    SQLite, so the text is exact: a float would turn 0.1517 into 0.15169999...; and the COPY
    export writes the very same bytes."""
    places = select(_DECKS.c.precision).where(_DECKS.c.id == deck).scalar_subquery()
    fraction = func.substr(cast(_MICROS + micros % _MICROS, Text), _SECOND, places)  # its first `places` digits
    shown = cast(micros // _MICROS, Text) + case((places > _ZERO, _POINT + fraction), else_=_EMPTY)
    # most legs have no amount: they skip the deck lookups altogether
    return case((micros.is_(None), _EMPTY), else_=func.coalesce(shown, _EMPTY))

# The API's row shapes (their properties: row_json.Properties); gc=False because these never hold cycles.
# per (cachedata, queuedata); `queue` holds the row's call's queue_log events (store.queue_reads)
_SHAPES = {
    (cachedata, queuedata): msgspec.defstruct(
        ("Cached" if cachedata else "") + ("Queued" if queuedata else "") + "Row",
        [(name, Any) for name in BASE_COLUMNS + (CACHE_COLUMNS if cachedata else ())] + [("properties", Properties)]
        + ([("queue", list[QueueItem])] if queuedata else []),
        gc=False,
    )
    for cachedata in (False, True)
    for queuedata in (False, True)
}
_encode = msgspec.json.Encoder().encode


def _row_columns(cachedata: bool) -> list[ColumnElement[Any]]:
    """The selected columns, already in the API's forms: the row's, then its properties'."""
    values: dict[str, ColumnElement[Any]] = {name: cdr.c[name] for name in BASE_COLUMNS}
    values["calldate"] = display_time(cdr.c.calldate)
    if cachedata:
        amounts = {"price": money_text(cdr.c.price, cdr.c.sell_deck), "cost": money_text(cdr.c.cost, cdr.c.buy_deck)}
        values |= {
            "start": display_time(cdr.c.calldate),
            "answer": func.coalesce(display_time(cdr.c.answer), _EMPTY),
            "end": func.coalesce(display_time(cdr.c.end), _EMPTY),
            "peeraccount": cdr.c.peeraccount,
            "sequence": func.coalesce(cast(cdr.c.sequence, Text), _EMPTY),
            "userfield": cdr.c.userfield,
            "call": func.coalesce(cdr.c.call, _EMPTY),
            **{name: amounts[name] if name in amounts else func.coalesce(cdr.c[name], _EMPTY)
               for name in RATING_SHOWN},
        }
    values |= {name: cdr.c[name] for name in PROPERTY_TEXT + PROPERTY_FLAGS}
    return [value.label(name) for name, value in values.items()]


def _render(rows: Sequence[Sequence[Any]], cachedata: bool, queue: dict[int, list[QueueItem]] | None) -> bytes:
    """The page's JSON array: one msgspec Struct per row, encoded in one call; with `queue`
    (queuedata), each row's events by acctid."""
    split = len(BASE_COLUMNS) + (len(CACHE_COLUMNS) if cachedata else 0)
    if queue is None:
        shape = _SHAPES[cachedata, False]
        return _encode([shape(*row[:split], Properties(*row[split:])) for row in rows])
    shape = _SHAPES[cachedata, True]
    return _encode([shape(*row[:split], Properties(*row[split:]), queue.get(row[0], [])) for row in rows])


def _company_match_pg(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    """`acctid IN` the first rows of any of the companies, each found through its own index.

    For every company and each of company/target/bill_to, a LATERAL subquery walks the
    `(column, acctid)` index from minID: the page costs O(companies x maxRows) index entries
    however rare the companies are in the table.
    """
    names = bindparam("companies", type_=ARRAY(Text))
    per_column = []
    for column in COMPANY_COLUMNS:
        wanted = func.unnest(names).table_valued("name").render_derived(name=f"want_{column}")
        legs = cdr.alias(f"by_{column}")
        first = (
            select(legs.c.acctid)
            .where(legs.c[column] == wanted.c.name, *(ClauseAdapter(legs).traverse(c) for c in conditions))
            .order_by(legs.c.acctid)
            .limit(bindparam("max_rows", type_=Integer))
            .lateral(f"first_{column}")
        )
        per_column.append(select(first.c.acctid).select_from(wanted).join(first, true()))
    matching = union(*per_column).subquery("matching")
    chosen = select(matching.c.acctid).order_by(matching.c.acctid).limit(bindparam("max_rows", type_=Integer))
    return cdr.c.acctid.in_(chosen)


def _window_start(date_conditions: list[ColumnElement[bool]]) -> ColumnElement[int]:
    """The smallest acctid inside the date window, read from the (calldate, acctid) index.

    Without it, the first page of a window far from minID walks the acctid index through every
    row before the window (the planner assumes dates spread evenly over acctids); with it the
    walk starts at the window. OFFSET 0 keeps PostgreSQL on the calldate index.
    """
    rows = cdr.alias("in_window")
    in_window = (
        select(rows.c.acctid)
        .where(*(ClauseAdapter(rows).traverse(c) for c in date_conditions))
        .offset(literal_column("0", Integer))
        .subquery("window_rows")
    )
    return select(func.min(in_window.c.acctid)).scalar_subquery()


def _walk_start(min_id: ColumnElement[int], dates: list[ColumnElement[bool]]) -> ColumnElement[int]:
    """Where a window's acctid walk starts: minID, or the window's smallest acctid when minID's
    row began before the window (the first page, a minID far behind). Both are exact; the
    window's start is read (O(window) index entries) only when needed."""
    first = cdr.alias("at_min_id")
    began = select(first.c.calldate).where(first.c.acctid >= min_id).order_by(first.c.acctid).limit(_ONE)
    behind = began.scalar_subquery() < bindparam("min_date", type_=cdr.c.calldate.type)
    return func.greatest(min_id, case((behind, _window_start(dates))))  # GREATEST skips NULL


def _unindexed(min_date: bool, max_date: bool) -> list[ColumnElement[bool]]:
    """The window's dates as a filter of the acctid walk, in a form no index matches.

    The planner takes acctid and calldate for independent: at 20M rows (a day 0.14% of the
    table) it reckons the walk must skip ~350,000 rows, and reads the whole day through the
    calldate index and sorts it instead (32 ms against 0.9, bench/RESULTS.md). acctids follow
    calldate, and the walk starts inside the window (_walk_start), so it finds the page at once.
    """
    shifted = cdr.c.calldate + literal_column("INTERVAL '0 seconds'", Interval)
    found: list[ColumnElement[bool]] = []
    if min_date:
        found.append(shifted >= bindparam("min_date", type_=cdr.c.calldate.type))
    if max_date:
        found.append(shifted < bindparam("max_date", type_=cdr.c.calldate.type))
    return found


@lru_cache(maxsize=64)
def _statement(
    dialect: str, min_date: bool, max_date: bool, companies: bool, cachedata: bool, from_window: bool, stored: bool
) -> Select[Any]:
    """The page query for one shape of request (built once per shape, then reused); `stored`:
    each row as (acctid, its JSON from the stored parts: calldata.store.row_json)."""
    dates: list[ColumnElement[bool]] = []
    if min_date:
        dates.append(cdr.c.calldate >= bindparam("min_date", type_=cdr.c.calldate.type))
    if max_date:
        dates.append(cdr.c.calldate < bindparam("max_date", type_=cdr.c.calldate.type))
    start: ColumnElement[int] = bindparam("min_id", type_=BigInteger)
    conditions = [cdr.c.acctid >= start, *dates]
    if from_window:
        conditions = [cdr.c.acctid >= _walk_start(start, dates), *_unindexed(min_date, max_date)]
    stmt = select(cdr.c.acctid, row_text(cachedata).label("row")) if stored else select(*_row_columns(cachedata))
    if companies and dialect == "postgresql":
        stmt = stmt.where(*conditions, _company_match_pg(conditions))
    elif companies:
        names = bindparam("companies", expanding=True)
        stmt = stmt.where(*conditions, or_(*(cdr.c[c].in_(names) for c in COMPANY_COLUMNS)))
    else:
        stmt = stmt.where(*conditions)
    return stmt.order_by(cdr.c.acctid).limit(bindparam("max_rows", type_=Integer))


@lru_cache(maxsize=64)
def driver_sql(dialect: Dialect, stmt: Select[Any]) -> str:
    """The statement as the driver's SQL text (compiled once per shape; its casts make it self-contained)."""
    return str(stmt.compile(dialect=dialect))


def fetch(conn: Connection, stmt: Select[Any], params: dict[str, Any]) -> Sequence[Sequence[Any]]:
    """The rows of a page (or a report) as plain tuples.

    On PostgreSQL they come straight off the driver's cursor: every value is already a str, int
    or bool, so SQLAlchemy's Row objects and result processing would only cost time (~0.6 ms a
    page). SQLite needs SQLAlchemy's Boolean processing (it stores flags as integers).
    """
    if conn.dialect.name != "postgresql":
        return conn.execute(stmt, params).all()
    cursor = conn.connection.cursor()
    try:
        cursor.execute(driver_sql(conn.dialect, stmt), params)
        return cursor.fetchall()
    finally:
        cursor.close()


class PageQuery(NamedTuple):
    """A page request in the store's terms (see `read_page`)."""

    min_id: int = 0
    max_rows: int = 500
    min_date: datetime | None = None
    max_date: datetime | None = None
    cachedata: bool = False
    companies: Collection[str] | None = None
    queuedata: bool = False


def page_statement(
    dialect: str, query: PageQuery, stored: bool = False
) -> tuple[Select[Any], dict[str, Any]] | None:
    """The statement and parameters that read `query`'s page on `dialect`; None when no row can match.

    Its rows hold every column in the API's form, or with `stored` (PostgreSQL) each row's JSON
    joined from its stored parts (`to_page` takes either)."""
    companies = query.companies
    if companies is not None and not companies:
        return None
    if any(d is not None and d.tzinfo is None for d in (query.min_date, query.max_date)):
        raise ValueError("read_page: min_date and max_date must be aware datetimes")
    # A window's first page (no minID yet) on PostgreSQL starts its walk at the window.
    # A window on PostgreSQL: the acctid walk starts inside it (_walk_start, _unindexed).
    from_window = dialect == "postgresql" and query.min_date is not None and companies is None
    stmt = _statement(
        dialect, query.min_date is not None, query.max_date is not None, companies is not None, query.cachedata,
        from_window, stored,
    )
    params: dict[str, Any] = {"min_id": query.min_id, "max_rows": query.max_rows}
    if query.min_date is not None:
        params["min_date"] = query.min_date
    if query.max_date is not None:
        params["max_date"] = query.max_date
    if companies is not None:
        params["companies"] = list(companies)
    return stmt, params


def to_page(
    rows: Sequence[Sequence[Any]], cachedata: bool, queue: dict[int, list[QueueItem]] | None = None,
    stored: bool = False,
) -> Page:
    """The page of `rows` as the statement of `page_statement` (with `stored` or not) returned
    them (with `queue`: each row's queue events, queuedata)."""
    if not rows:
        return EMPTY
    values = joined(rows, queue) if stored else _render(rows, cachedata, queue)
    return Page(values, len(rows), rows[-1][0])


def read_page(conn: Connection, query: PageQuery = PageQuery()) -> Page:
    """Up to `max_rows` rows with `acctid >= min_id` (and `min_date <= calldate < max_date`), by acctid.

    `companies`, when given, keeps only the rows whose company, target or bill_to is one of
    them (rows not yet attributed never match). `queuedata` adds each row's call's queue events
    (a second statement for the whole page). The engine must have been through `prepare`.
    """
    stored = conn.dialect.name == "postgresql"
    found = page_statement(conn.dialect.name, query, stored)
    if found is None:
        return EMPTY
    rows = fetch(conn, *found)
    queue = read_events(conn, [row[0] for row in rows], query.companies) if query.queuedata and rows else None
    return to_page(rows, query.cachedata, queue, stored)


async def read_page_pooled(pool: AsyncpgPool, query: PageQuery) -> Page:
    """`read_page` on PostgreSQL through the API's asyncpg pool (the request hot path)."""
    found = page_statement("postgresql", query, stored=True)
    if found is None:
        return EMPTY
    rows = await pool.fetch(*found)
    queue = (await read_events_pooled(pool, [row[0] for row in rows], query.companies)
             if query.queuedata and rows else None)
    return to_page(rows, query.cachedata, queue, stored=True)


# --- per-connection setup ---------------------------------------------------------------------


def _sqlite_display_time(zone: ZoneInfo) -> Any:
    def display(value: str | None) -> str | None:
        if value is None:
            return None
        return format_display_time(datetime.fromisoformat(value).replace(tzinfo=UTC), zone)

    return display


def format_display_time(instant: datetime, zone: ZoneInfo) -> str:
    """The contract's time form in `zone`, as PostgreSQL's `to_char(..., 'OF')` writes it."""
    local = instant.astimezone(zone)
    offset = local.utcoffset()
    seconds = int(offset.total_seconds()) if offset is not None else 0
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes = rest // 60
    suffix = f"{sign}{hours:02d}" if not minutes else f"{sign}{hours:02d}:{minutes:02d}"
    return local.strftime("%Y-%m-%d %H:%M:%S") + suffix


def prepare(engine: Engine | AsyncEngine, display_tz: str) -> None:
    """Make every new connection of `engine` render times in `display_tz` (call before first use)."""
    zone = ZoneInfo(display_tz)
    sync = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(sync, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if sync.dialect.name == "postgresql":
            cursor = dbapi_connection.cursor()
            cursor.execute(
                "SELECT set_config('TimeZone', %s, false), set_config('DateStyle', 'ISO', false)",
                (display_tz,),
            )
            cursor.close()
            dbapi_connection.commit()
        else:
            dbapi_connection.create_function(
                SQLITE_TIME_FUNCTION, 1, _sqlite_display_time(zone), deterministic=True
            )
