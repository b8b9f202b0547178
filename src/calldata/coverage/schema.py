"""The attribution coverage report's figures per UTC day (migration 0021_coverage_days).

`coverage_day` holds a day's counts (calldata.attribution.report.COUNTED: its rows, those attributed,
those with company or target, those with each property decided); `coverage_key` what its rows
lacking some property hold (report.Tally: every channel base name, context and dialled number with
its count, so any run of days sums exactly); `coverage_mark` the store's change sequence and
acctids the stored days are known good up to (coverage.stored.refresh). The directory is asked at
read time: a new version changes no stored figure.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, PrimaryKeyConstraint, Table, Text

from calldata.attribution.report import COUNTED
from calldata.store.schema import mark_table, metadata

coverage_mark = mark_table("coverage_mark")

coverage_day = Table(
    "coverage_day",
    metadata,
    Column("day", Date, nullable=False),  # a UTC date: legs with day <= calldate < day + 1
    *(Column(name, BigInteger, nullable=False) for name in COUNTED),
    PrimaryKeyConstraint("day", name="pk_coverage_day"),
)

KINDS = ("channel", "context", "number")  # report.Tally's counters, in order

coverage_key = Table(
    "coverage_key",
    metadata,
    Column("day", Date, nullable=False),
    Column("kind", Text, nullable=False),  # one of KINDS
    Column("key", Text, nullable=False),
    Column("rows", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "kind", "key", name="pk_coverage_key"),
)
