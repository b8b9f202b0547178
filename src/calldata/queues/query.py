"""The store queries behind stays: the events of given callers (uniqueids), of a report's legs; the
company scoping of callers through their CDR legs (the figures': calldata.queues.figures)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (BigInteger, ColumnElement, Connection, Select, Text, any_, bindparam, cast, exists, extract,
                        func, or_, select)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from calldata.queues.schema import queue_event
from calldata.queues.stays import Line
from calldata.store.reads import fetch
from calldata.store.schema import cdr

# a leg is a company's when one of these is it (as for /rest/call/read, docs/api.md)
COMPANY_COLUMNS = ("company", "target", "bill_to")


class array_of(ColumnElement[Any]):
    """PostgreSQL's `ARRAY(subquery)`: computed once (an InitPlan), so `col = ANY(...)` walks the
    column's index for just those values; `col IN (subquery)` was planned as a hash join over a
    scan of the whole table (bench/queue_stats.py)."""

    inherit_cache = True

    def __init__(self, query: Select[Any]) -> None:
        self.query = query


@compiles(array_of, "postgresql")
def _array_of(element: array_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"ARRAY({compiler.process(element.query, **kw)})"


def among(dialect: str, column: Any, values: Select[Any] | str) -> Any:
    """`column` is one of a subquery's values, or of the list parameter named `values` (an array
    on PostgreSQL: one statement text, run straight on the driver by `fetch`)."""
    if isinstance(values, str):
        if dialect == "postgresql":
            return column == any_(bindparam(values, type_=ARRAY(Text)))
        return column.in_(bindparam(values, expanding=True))
    return column == any_(array_of(values)) if dialect == "postgresql" else column.in_(values)


def _columns(dialect: str) -> list[Any]:
    """A Line's columns: the time as whole epoch seconds, computed by the database (SQLite's date
    functions round the stored text's microseconds to milliseconds, so .9995 s and more made the
    next second: the seconds are read from its first 19 characters, YYYY-MM-DD HH:MM:SS)."""
    if dialect == "postgresql":
        epoch = cast(func.floor(extract("epoch", queue_event.c.time)), BigInteger)
    else:
        epoch = cast(func.strftime("%s", func.substr(queue_event.c.time, 1, 19)), BigInteger)
    return [epoch, queue_event.c.callid, queue_event.c.queue, queue_event.c.agent, queue_event.c.event,
            *(queue_event.c[f"data{n}"] for n in range(1, 6))]


def _ordered(dialect: str, condition: Any) -> Select[Any]:
    return (select(*_columns(dialect)).where(condition)
            .order_by(queue_event.c.callid, queue_event.c.time, queue_event.c.id))


def attributed(dialect: str, callid: Any) -> Any:
    """The caller `callid` has a stored leg of one of the companies (list parameter `companies`)."""
    return exists().where(cdr.c.uniqueid == callid,
                          or_(*(among(dialect, cdr.c[c], "companies") for c in COMPANY_COLUMNS)))


def _lines(rows: Iterable[Sequence[Any]]) -> list[Line]:
    found = []
    for time, callid, queue, agent, event, *data in rows:
        while data and not data[-1]:
            data.pop()
        found.append(Line(time, callid, queue, agent, event, tuple(data)))
    return found


@cache
def callers_statement(dialect: str) -> Select[Any]:
    """Every event of the callers in the list parameter `callids`."""
    return _ordered(dialect, among(dialect, queue_event.c.callid, "callids"))


_CHUNK = 900  # callids per statement on SQLite: under its bound-parameter limit


def caller_events(conn: Connection, callids: Collection[str]) -> list[Line]:
    """Every event of these callers (CDR uniqueids), by callid then time."""
    wanted = sorted(set(callids))
    step = (len(wanted) or 1) if conn.dialect.name == "postgresql" else _CHUNK
    stmt = callers_statement(conn.dialect.name)
    found: list[Line] = []
    for start in range(0, len(wanted), step):
        found += _lines(fetch(conn, stmt, {"callids": wanted[start:start + step]}))
    return found


@cache
def legs_statement(side: str, dialect: str) -> Select[Any]:
    """Every event of the callers of a company's legs started in [start, end): the report's legs
    (calldata.reports.query) found by the same index, their callers' events by (callid, time)."""
    callers = select(cdr.c.uniqueid).where(
        cdr.c[side] == bindparam("company"),
        cdr.c.calldate >= bindparam("start", type_=cdr.c.calldate.type),
        cdr.c.calldate < bindparam("end", type_=cdr.c.calldate.type),
    )
    return _ordered(dialect, among(dialect, queue_event.c.callid, callers))


def leg_events(conn: Connection, side: str, company: str, start: datetime, end: datetime) -> list[Line]:
    """The events of the callers whose legs a report of `company` (on `side`: company or target) holds."""
    stmt = legs_statement(side, conn.dialect.name)
    return _lines(fetch(conn, stmt, {"company": company, "start": start, "end": end}))
