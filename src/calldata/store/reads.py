"""The page query behind /rest/call/read: keyset paging on `acctid`, each row's JSON built by the database.

The database renders every row as the API's JSON object (PostgreSQL `json_build_object`, SQLite
`json_object`), so Python only joins the texts: no per-row objects on the hot path. The few
constructs that differ between the stores compile per dialect below. One statement is built per
shape of request (which filters are present, cachedata or not) and reused, so SQLAlchemy compiles
each shape once.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Select,
    Text,
    bindparam,
    case,
    cast,
    event,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.util import ClauseAdapter

from calldata.store.schema import PROPERTY_FLAGS, PROPERTY_TEXT, cdr

# The Asterisk columns every row carries, in the order the contract lists them.
BASE_COLUMNS = (
    "acctid", "calldate", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp",
    "lastdata", "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid", "linkedid",
)
# Columns `cachedata: true` adds (call-read.md, cachedata).
CACHE_COLUMNS = ("start", "answer", "end", "peeraccount", "sequence", "userfield", "call")
# The columns a restricted reader's companies are matched against (call-read.md, permissions).
COMPANY_COLUMNS = ("company", "target", "bill_to")

_SQLITE_TIME_FUNCTION = "calldata_display_time"


class Page(NamedTuple):
    """One page: `values` is the JSON array of the rows, `count` how many it holds."""

    values: bytes
    count: int
    last_acctid: int | None


# --- constructs that compile differently per store -------------------------------------------


class display_time(FunctionElement[str]):
    """An instant as `YYYY-MM-DD HH:MM:SS+HH` (`+HH:MM` off the hour) in the display zone.

    PostgreSQL formats in the session's TimeZone, SQLite calls a Python function; `prepare`
    sets both up on every new connection.
    """

    type = Text()
    inherit_cache = True


@compiles(display_time, "postgresql")
def _display_time_pg(element: display_time, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD HH24:MI:SSOF')"


@compiles(display_time, "sqlite")
def _display_time_sqlite(element: display_time, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{_SQLITE_TIME_FUNCTION}({compiler.process(element.clauses, **kw)})"


class json_object(FunctionElement[str]):
    """A JSON object from alternating literal keys and values."""

    type = Text()
    inherit_cache = True


@compiles(json_object, "postgresql")
def _json_object_pg(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_build_object({compiler.process(element.clauses, **kw)})"


@compiles(json_object, "sqlite")
def _json_object_sqlite(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_object({compiler.process(element.clauses, **kw)})"


class json_without_nulls(FunctionElement[str]):
    """A JSON object minus its null members (undecided properties are left out)."""

    type = Text()
    inherit_cache = True


@compiles(json_without_nulls, "postgresql")
def _json_without_nulls_pg(element: json_without_nulls, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_strip_nulls({compiler.process(element.clauses, **kw)})"


@compiles(json_without_nulls, "sqlite")
def _json_without_nulls_sqlite(element: json_without_nulls, compiler: SQLCompiler, **kw: Any) -> str:
    # RFC 7396 merge-patch drops the members whose value is null.
    return f"json_patch('{{}}', {compiler.process(element.clauses, **kw)})"


class json_true(FunctionElement[str]):
    """JSON `true` as a value inside a JSON object."""

    type = Text()
    inherit_cache = True


@compiles(json_true, "postgresql")
def _json_true_pg(element: json_true, compiler: SQLCompiler, **kw: Any) -> str:
    return "true"


@compiles(json_true, "sqlite")
def _json_true_sqlite(element: json_true, compiler: SQLCompiler, **kw: Any) -> str:
    return "json('true')"


# --- the row and the statement ----------------------------------------------------------------


_EMPTY = literal_column("''", Text)


def _key(name: str) -> ColumnElement[str]:
    return literal_column(f"'{name}'", Text)


def _row_json(cachedata: bool) -> ColumnElement[str]:
    """The API's JSON object of one row (call-read.md, Response)."""
    values: dict[str, ColumnElement[Any]] = {name: cdr.c[name] for name in BASE_COLUMNS}
    values["calldate"] = display_time(cdr.c.calldate)
    if cachedata:
        values |= {
            "start": display_time(cdr.c.calldate),
            "answer": func.coalesce(display_time(cdr.c.answer), _EMPTY),
            "end": func.coalesce(display_time(cdr.c.end), _EMPTY),
            "peeraccount": cdr.c.peeraccount,
            "sequence": func.coalesce(cast(cdr.c.sequence, Text), _EMPTY),
            "userfield": cdr.c.userfield,
            "call": func.coalesce(cdr.c.call, _EMPTY),
        }
    properties: dict[str, ColumnElement[Any]] = {name: cdr.c[name] for name in PROPERTY_TEXT}
    properties |= {name: case((cdr.c[name], json_true()), else_=null()) for name in PROPERTY_FLAGS}
    values["properties"] = json_without_nulls(_object(properties))
    return _object(values)


def _object(members: dict[str, ColumnElement[Any]]) -> json_object:
    return json_object(*(part for name, value in members.items() for part in (_key(name), value)))


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


@lru_cache(maxsize=64)
def _statement(dialect: str, min_date: bool, max_date: bool, companies: bool, cachedata: bool) -> Select[Any]:
    """The page query for one shape of request (built once per shape, then reused)."""
    conditions: list[ColumnElement[bool]] = [cdr.c.acctid >= bindparam("min_id", type_=BigInteger)]
    if min_date:
        conditions.append(cdr.c.calldate >= bindparam("min_date", type_=cdr.c.calldate.type))
    if max_date:
        conditions.append(cdr.c.calldate < bindparam("max_date", type_=cdr.c.calldate.type))
    stmt = select(cdr.c.acctid, cast(_row_json(cachedata), Text))
    if companies and dialect == "postgresql":
        stmt = stmt.where(*conditions, _company_match_pg(conditions))
    elif companies:
        names = bindparam("companies", expanding=True)
        stmt = stmt.where(*conditions, or_(*(cdr.c[c].in_(names) for c in COMPANY_COLUMNS)))
    else:
        stmt = stmt.where(*conditions)
    return stmt.order_by(cdr.c.acctid).limit(bindparam("max_rows", type_=Integer))


def read_page(
    conn: Connection,
    *,
    min_id: int = 0,
    max_rows: int = 500,
    min_date: datetime | None = None,
    max_date: datetime | None = None,
    cachedata: bool = False,
    companies: Collection[str] | None = None,
) -> Page:
    """Up to `max_rows` rows with `acctid >= min_id` (and `min_date <= calldate < max_date`), by acctid.

    `companies`, when given, keeps only the rows whose company, target or bill_to is one of
    them (rows not yet attributed never match). The engine must have been through `prepare`.
    """
    if companies is not None and not companies:
        return Page(b"[]", 0, None)
    stmt = _statement(
        conn.dialect.name, min_date is not None, max_date is not None, companies is not None, cachedata
    )
    params: dict[str, Any] = {"min_id": min_id, "max_rows": max_rows}
    if min_date is not None:
        params["min_date"] = min_date
    if max_date is not None:
        params["max_date"] = max_date
    if companies is not None:
        params["companies"] = list(companies)
    rows = conn.execute(stmt, params).all()
    if not rows:
        return Page(b"[]", 0, None)
    values = "[" + ",".join([row[1] for row in rows]) + "]"
    return Page(values.encode(), len(rows), rows[-1][0])


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
            cursor.execute("SELECT set_config('TimeZone', %s, false)", (display_tz,))
            cursor.close()
            dbapi_connection.commit()
        else:
            dbapi_connection.create_function(
                _SQLITE_TIME_FUNCTION, 1, _sqlite_display_time(zone), deterministic=True
            )
