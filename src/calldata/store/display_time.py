"""An instant written in the display zone, as SQL: the form every time of the Call Data API takes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

# The Python function SQLite calls (calldata.store.reads.prepare registers it on each connection).
SQLITE_TIME_FUNCTION = "calldata_display_time"


class display_time(FunctionElement[str]):
    """An instant as `YYYY-MM-DD HH:MM:SS+HH` (`+HH:MM` off the hour) in the display zone.

    PostgreSQL writes it in the session's TimeZone and ISO DateStyle, SQLite calls a Python
    function; `calldata.store.reads.prepare` sets both up on every new connection.
    """

    type = Text()
    inherit_cache = True


@compiles(display_time, "postgresql")
def _display_time_pg(element: display_time, compiler: SQLCompiler, **kw: Any) -> str:
    # timestamptz's own ISO output is exactly this form (to_char(..., 'OF') writes the same,
    # measurably slower); whole seconds, as the contract shows them.
    return f"CAST(date_trunc('second', {compiler.process(element.clauses, **kw)}) AS TEXT)"


@compiles(display_time, "sqlite")
def _display_time_sqlite(element: display_time, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_TIME_FUNCTION}({compiler.process(element.clauses, **kw)})"
