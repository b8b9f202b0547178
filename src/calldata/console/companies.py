"""The companies a reader may pick in the console's filters: the directory's, within their grants."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection

from calldata.reports.roster import current_roster


def company_choices(conn: Connection, companies: Collection[str] | None) -> list[tuple[str, str]]:
    """(id, name) of the directory's companies the reader may see, for the filter's list."""
    roster = current_roster(conn)
    if roster is None:
        return []
    return [(cid, company.name or cid) for cid, company in sorted(roster.directory.companies.items())
            if companies is None or cid in companies]
