"""A month's statement of a company, or of the carriers: the directory, the period, the query, the build.

The month is counted in the company's own time zone (its `timezone`, else the display zone),
exactly as the call reports count it (reports.period); the carriers' month in the PBX's zone
(the directory's `system.timezone`, the zone rating's time bands are in).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from calldata.reports.period import period
from calldata.reports.request import ReportError, ReportRequest
from calldata.reports.roster import Roster, current_roster
from calldata.statements.build import Statement, statement
from calldata.statements.carriers import Carrier, carriers
from calldata.statements.query import billed_legs, trunk_legs


def _roster(conn: Connection) -> Roster:
    roster = current_roster(conn)
    if roster is None:
        raise ReportError("company", "no directory is loaded")
    return roster


def company_statement(conn: Connection, company: str, year: int, month: int, display_tz: str) -> Statement:
    """The statement of `company` for the month; ReportError when it is not in the directory."""
    roster = _roster(conn)
    if company not in roster.directory.companies:
        raise ReportError("company", f"{company!r}: not a company of the directory")
    zone = roster.zone(company, display_tz)
    start, end = period(ReportRequest((company,), year, month), zone)
    found = roster.directory.companies[company]
    return statement(company, found.name, f"{year:04d}-{month:02d}", str(zone), start, end,
                     billed_legs(conn, roster, company, start, end),
                     {ext: extension.name for ext, extension in found.extensions.items()})


def carrier_statement(conn: Connection, year: int, month: int) -> tuple[str, list[Carrier]]:
    """The PBX's zone and each trunk's reconciliation for the month in it."""
    zone = ZoneInfo(_roster(conn).directory.system.timezone)
    start, end = period(ReportRequest(("",), year, month), zone)
    return str(zone), carriers(trunk_legs(conn, start, end))
