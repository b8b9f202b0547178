"""The legs CSV export written by PostgreSQL itself: `COPY (<the page query>) TO STDOUT (FORMAT csv)`.

Building rows and CSV in Python cost 4-6x what COPY does (bench/RESULTS.md, Export), so on
PostgreSQL each keyset batch of the export is the read page's own statement (same window, same
company scoping, times already in the display zone) wrapped so COPY writes the bytes Python's
csv module writes: empty text and NULL both as an empty unquoted field (COPY quotes a non-NULL
empty string), flags as 0/1. PostgreSQL ends each row with LF and sends each row as one message,
so the row's last byte is swapped for RFC 4180's CRLF; line breaks inside quoted fields are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import psycopg
from sqlalchemy import Integer, Select, Text, cast, func, literal_column, select
from sqlalchemy.engine import Dialect

from calldata.store.reads import PageQuery, driver_sql, page_statement
from calldata.store.schema import PROPERTY_FLAGS

Batch = tuple[bytes, int | None, int]  # the CSV rows, the acctid to go on from (None: the end), how many
_EMPTY_BATCH: Batch = (b"", None, 0)


@lru_cache(maxsize=64)
def _as_csv_fields(page: Select[Any]) -> Select[Any]:
    """The page's columns as Python's csv writes them: text "" and NULL as NULL, flags as integers."""
    rows = page.subquery("page")
    fields = []
    for column in rows.c:
        if column.name in PROPERTY_FLAGS:
            fields.append(cast(column, Integer).label(column.name))
        elif isinstance(column.type, Text):
            fields.append(func.nullif(column, literal_column("''", Text)).label(column.name))
        else:
            fields.append(column)
    return select(*fields).order_by(rows.c.acctid)


def copy_statement(dialect: Dialect, query: PageQuery) -> tuple[str, dict[str, Any]] | None:
    """The COPY writing `query`'s page (cachedata columns) as CSV rows; None when no row can match."""
    found = page_statement("postgresql", query._replace(cachedata=True))
    if found is None:
        return None
    page, params = found
    sql = driver_sql(dialect, _as_csv_fields(page))
    return f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, ENCODING 'UTF8')", params


def _batch(rows: Sequence[memoryview], max_rows: int) -> Batch:
    """COPY's rows (one LF-ended row each) as CRLF-ended CSV; the next acctid while the page was full."""
    if not rows:
        return _EMPTY_BATCH
    data = b"".join(rows)
    if data.count(b"\n") == len(rows):  # no line break inside a field: every LF ends a row
        data = data.replace(b"\n", b"\r\n")
    else:
        data = b"\r\n".join([row[:-1] for row in rows]) + b"\r\n"
    last = int(bytes(rows[-1]).split(b",", 1)[0])
    return data, (last + 1 if len(rows) == max_rows else None), len(rows)


def copy_batch(conn: psycopg.Connection[Any], dialect: Dialect, query: PageQuery) -> Batch:
    """One batch of the legs CSV from `query.min_id`, written by the server."""
    found = copy_statement(dialect, query)
    if found is None:
        return _EMPTY_BATCH
    with conn.cursor() as cursor, cursor.copy(*found) as copy:
        return _batch(list(copy), query.max_rows)


async def copy_batch_async(conn: psycopg.AsyncConnection[Any], dialect: Dialect, query: PageQuery) -> Batch:
    """`copy_batch` on the API's asynchronous connection."""
    found = copy_statement(dialect, query)
    if found is None:
        return _EMPTY_BATCH
    async with conn.cursor() as cursor, cursor.copy(*found) as copy:
        return _batch([row async for row in copy], query.max_rows)
