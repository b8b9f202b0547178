"""A batch's keys matched against an indexed column in one statement, as one JSON parameter.

Measured on a 5,000-leg batch (bench/RESULTS.md, Issue 14 item 1): SQLite's IN lists of 500
values cost SQLAlchemy more to build than SQLite to run, and on PostgreSQL a literal array has
each element dumped by psycopg in Python and read by the planner (a linkedid lookup planned a
sequential scan from it: 57 ms; from JSON, a bitmap index scan: 7 ms).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import BigInteger, Column, Connection, Integer, TextClause, bindparam, text


def among(conn: Connection, column: Column[Any], keys: Iterable[Any], name: str = "keys") -> TextClause:
    """`column` holds one of `keys` (strings or integers), for a WHERE clause; `name` names the
    parameter (one per clause of a statement)."""
    where = f'{column.table.name}."{column.name}"'  # type: ignore[attr-defined]
    if conn.dialect.name == "postgresql":
        cast = "bigint" if isinstance(column.type, (BigInteger, Integer)) else "text"
        sql = f"{where} = ANY(ARRAY(SELECT CAST(json_array_elements_text(CAST(:{name} AS json)) AS {cast})))"
    else:
        sql = f"{where} IN (SELECT value FROM json_each(:{name}))"
    return text(sql).bindparams(bindparam(name, msgspec.json.encode(list(keys)).decode()))
