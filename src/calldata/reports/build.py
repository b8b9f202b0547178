"""A whole report: check the scope against the directory, then per company one query and its table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from calldata.queues.query import leg_events
from calldata.queues.stays import by_caller, stays
from calldata.reports import days
from calldata.reports.days import Day, Table
from calldata.reports.incalls import incalls
from calldata.reports.kept import KeptDays, Part
from calldata.reports.outcalls import add_up, outcalls
from calldata.reports.period import period
from calldata.reports.query import Leg
from calldata.reports.request import ReportError, ReportRequest
from calldata.reports.roster import Roster, current_roster

Tabulate = Callable[[Sequence[Leg], Roster, str, Sequence[str]], dict[str, Any]]
# kind -> (the side of a leg the company is on, the filter's scope key, the table)
KINDS: dict[str, tuple[str, str, Tabulate]] = {
    "incalls": ("target", "extensions", incalls),
    "outcalls": ("company", "deviceids", outcalls),
}


# The columns a person reads of each report's calls (heading, member), in order: the CLI's tables, the console's pages.
COLUMNS = {
    "incalls": (("day time", "calldate"), ("caller", "caller"), ("type", "type"), ("ring", "ringtime"),
                ("bill", "billsecs"), ("detail", "detail"), ("acctid", "acctid")),
    "outcalls": (("day time", "calldate"), ("dialled", "dial_short"), ("type", "type"), ("trunk", "trunk"),
                 ("bill", "billsecs"), ("cost", "cost"), ("detail", "detail"), ("acctid", "acctid")),
}


@dataclass(frozen=True, slots=True)
class Plan:
    """A report checked against the calendar and the directory: per company its UTC span and the
    names kept. Equal plans under one store generation are the same report (reports.cache)."""

    kind: str
    several: bool
    parts: tuple[tuple[str, datetime, datetime, tuple[str, ...]], ...]  # company, start, end, names
    directory: tuple[int, str]  # the directory version's (id, sha256)
    roster: Roster = field(compare=False, hash=False, repr=False)

    def spans(self) -> list[tuple[int, int]]:
        """Where the report's legs start: each company's [start, end) in epoch seconds."""
        return [(int(start.timestamp()), int(end.timestamp())) for _, start, end, _ in self.parts]


def plan(conn: Connection, kind: str, request: ReportRequest, display_tz: str,
         now: datetime | None = None) -> Plan:
    """The report `request` asks for; ReportError names a scope key it cannot use."""
    roster = current_roster(conn)
    known = {} if roster is None else roster.directory.companies
    for company in request.companies:
        if company not in known:
            why = "no directory is loaded" if roster is None else "not a company of the directory"
            raise ReportError("company", f"{company!r}: {why}")
    assert roster is not None
    filter_key = KINDS[kind][1]
    wanted = request.extensions if kind == "incalls" else request.deviceids
    spans = [(company, period(request, roster.zone(company, display_tz), now)) for company in request.companies]
    for name in wanted:
        if not any(_owns(roster, kind, company, name) for company in request.companies):
            raise ReportError(filter_key, f"{name!r}: not one of the {filter_key} of {', '.join(request.companies)}")
    parts = []
    for company, (start, end) in spans:
        mine = tuple(name for name in wanted if _owns(roster, kind, company, name))
        if not wanted or mine:
            parts.append((company, start, end, mine))
    return Plan(kind, request.several, tuple(parts), roster.version, roster)


def tabulate(conn: Connection, planned: Plan, kept: KeptDays | None = None) -> dict[str, Any]:
    """The `values` of an incalls or outcalls answer: per company its days' tables joined
    (reports.days); with `kept`, the days no change touched are not tabulated again."""
    side, _, table_of = KINDS[planned.kind]
    values: dict[str, Any] = {}
    for company, start, end, names in planned.parts:
        named = list(table_of([], planned.roster, company, names))  # keys present even without calls

        def day_tables(run: Sequence[Day], company: str = company, names: tuple[str, ...] = names,
                       named: list[str] = named) -> list[tuple[Table, int, int]]:
            """The tables of consecutive days: their legs in one query (incalls: and their callers'
            queue events in a second, for qtime and qstatus), each day tabulated from its own."""
            each = days.read(conn, side, company, run)
            if planned.kind == "incalls":
                since, until = min(s for _, s, _ in each), max(u for _, _, u in each)
                queued = by_caller(stays(leg_events(conn, side, company, days.instant(since), days.instant(until))))
                tables = [incalls(found, planned.roster, company, names, queued) for found, _, _ in each]
            else:
                tables = [table_of(found, planned.roster, company, names) for found, _, _ in each]
            return [(days.trimmed(table, day, named), since, until)
                    for table, day, (_, since, until) in zip(tables, run, each)]

        wanted = days.days(start, end)
        part = Part(planned.kind, company, names, planned.directory)
        tables = ([table for run in days.runs(wanted) for table, _, _ in day_tables(run)] if kept is None
                  else kept.tables(conn, part, wanted, day_tables))
        table = days.joined(tables, add_up if planned.kind == "outcalls" else None)
        for key, entry in table.items():
            values[f"{company}/{key}" if planned.several else key] = entry
    return values


def report(conn: Connection, kind: str, request: ReportRequest, display_tz: str,
           now: datetime | None = None) -> dict[str, Any]:
    """The `values` of an incalls or outcalls answer; ReportError names a scope key it cannot use."""
    return tabulate(conn, plan(conn, kind, request, display_tz, now))


def _owns(roster: Roster, kind: str, company: str, name: str) -> bool:
    """The company has that extension (incalls) or device (outcalls)."""
    if kind == "incalls":
        return name in roster.directory.companies[company].extensions
    device = roster.devices.get(name.lower())
    return device is not None and device[0] == company
