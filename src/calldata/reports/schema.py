"""Report days kept in the store (migration 0020_report_days): a day's table of one report part, as
reports.kept holds it in memory, so a server process that never tabulated the day reads it.

`part` is reports.stored.key_of the part (its kind, company, names and directory version: the
sha256 of their JSON); a day is reports.days.Day (first, last, start, end: epoch seconds). The
row holds the store's mark its table was read at (reports.changes.Mark), the span of legs it read
[since, until), its table (msgpack, compressed: reports.stored) and the UTC date it was last written or read (`used`).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, Integer, LargeBinary, PrimaryKeyConstraint, Table, Text

from calldata.store.schema import metadata

report_day = Table(
    "report_day",
    metadata,
    Column("part", Text, nullable=False),
    Column("start", BigInteger, nullable=False),
    Column("end", BigInteger, nullable=False),
    Column("first", BigInteger, nullable=False),
    Column("last", BigInteger, nullable=False),
    Column("directory", Integer, nullable=False),  # the part's directory version id (pruned when not current)
    Column("seq", BigInteger, nullable=False),
    Column("low", BigInteger, nullable=False),
    Column("high", BigInteger, nullable=False),
    Column("event", BigInteger, nullable=False),
    Column("since", BigInteger, nullable=False),
    Column("until", BigInteger, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("used", Date, nullable=False),
    PrimaryKeyConstraint("part", "start", "end", "first", name="pk_report_day"),
)
Index("ix_report_day_used", report_day.c.used)
