"""The recordings a caller may see: a page of them (the list), or one by its name (the download).

A recording is visible to whoever may read its leg (/rest/call/read's rule: the leg's company,
target or bill_to is one of the caller's companies). A file not tied to a leg is in no answer.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, Connection, and_, or_, select

from calldata.recordings.schema import recording
from calldata.store.reads import COMPANY_COLUMNS
from calldata.store.schema import cdr


class RecordingQuery(NamedTuple):
    """Which recordings: id from `min_id`, leg started in [min_date, max_date), visible to `companies`."""

    min_id: int = 0
    max_rows: int = 500
    min_date: datetime | None = None
    max_date: datetime | None = None
    companies: Collection[str] | None = None  # None: every company


class Listed(NamedTuple):
    """A recording with what the list says of its leg."""

    id: int
    path: str
    size: int
    duration_ms: int | None
    content_type: str
    acctid: int
    uniqueid: str
    src: str
    dst: str
    calldate: datetime
    billsec: int


def _visible(companies: Collection[str]) -> ColumnElement[bool]:
    names = list(companies)
    return or_(*(cdr.c[column].in_(names) for column in COMPANY_COLUMNS))


def page(conn: Connection, query: RecordingQuery) -> list[Listed]:
    """Up to `max_rows` recordings in id order (ids only grow: page on the last one + 1)."""
    if query.companies is not None and not query.companies:
        return []
    stmt = (
        select(recording.c.id, recording.c.path, recording.c.size, recording.c.duration_ms,
               recording.c.content_type, recording.c.acctid, recording.c.uniqueid,
               cdr.c.src, cdr.c.dst, cdr.c.calldate, cdr.c.billsec)
        .join(cdr, cdr.c.acctid == recording.c.acctid)
        .where(recording.c.id >= query.min_id)
        .order_by(recording.c.id)
        .limit(query.max_rows)
    )
    if query.min_date is not None:
        stmt = stmt.where(cdr.c.calldate >= query.min_date)
    if query.max_date is not None:
        stmt = stmt.where(cdr.c.calldate < query.max_date)
    if query.companies is not None:
        stmt = stmt.where(_visible(query.companies))
    return [Listed(*row) for row in conn.execute(stmt)]


def find(conn: Connection, name: str, companies: Collection[str] | None) -> tuple[str, str] | None:
    """The path and content type of the recording `name` (its path, else its leg's call_rec) when
    the caller may see it, else None. Two lookups, each on its own index, rather than one OR
    across both tables."""
    if companies is not None and not companies:
        return None
    stmt = select(recording.c.path, recording.c.content_type).join(cdr, cdr.c.acctid == recording.c.acctid)
    if companies is not None:
        stmt = stmt.where(_visible(companies))
    for named in (recording.c.path == name, and_(cdr.c.call_rec != "", cdr.c.call_rec == name)):
        row = conn.execute(stmt.where(named).order_by(recording.c.id).limit(1)).first()
        if row is not None:
            return row.path, row.content_type
    return None
