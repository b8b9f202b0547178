"""`calldata report incalls|outcalls`: the API's call reports (docs/api.md) as readable tables."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Annotated, Any

import msgspec
import typer
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from calldata.api.errors import ApiError
from calldata.api.report_scope import report_request
from calldata.cli import context
from calldata.cli.tables import show
from calldata.reports.build import COLUMNS, KINDS, plan, tabulate
from calldata.reports.recalc import recalculate
from calldata.reports.request import ReportError
from calldata.store.engine import snapshot

QUEUES = "queues"
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_month(value: str) -> tuple[int, int]:
    """`2026-11` -> (2026, 11); ValueError naming the option otherwise (the month's range is the
    scope's check: `scope.month`)."""
    found = _MONTH.fullmatch(value)
    if found is None:
        raise ValueError(f"--month: not a month (YYYY-MM): {value!r}")
    return int(found[1]), int(found[2])


def _month(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        return parse_month(value)
    except ValueError as exc:
        raise _stop(str(exc)) from None


def _stop(message: str) -> typer.Exit:
    typer.echo(f"calldata report: {message}", err=True)
    return typer.Exit(2)


def _summary(entry: dict[str, Any]) -> str:
    """`(3 calls, 42 s, 0.0600 GBP)`: an outcalls device's totals (its cost once priced), or the count."""
    totals = entry.get("totals")
    if totals is None:
        return f"({len(entry['calls'])} calls)"
    cost = totals.get("cost")
    spent = "" if cost is None else ", " + (f"{cost} {totals['currency']}" if isinstance(cost, str)
                                           else " + ".join(f"{amount} {currency}" for currency, amount in cost.items()))
    return f"({totals['calls']} calls, {totals['billsecs']} s{spent})"


def _print(kind: str, values: dict[str, Any], zone: tzinfo) -> None:
    """One table per extension or device, times in the server's display zone; fits 80 columns
    (outcalls through cli.tables.show).
    An outcalls call not priced has an empty cost (`-` when rating found no price for it)."""
    console = Console()
    if not values:
        console.print("no calls in the period")
    for key, entry in values.items():
        title = f"{key} {entry['name']} {_summary(entry)}"
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                      padding=(0, 1), collapse_padding=True, show_edge=False)
        for head, _ in COLUMNS[kind]:
            table.add_column(head, no_wrap=head != "detail", min_width=20 if head == "detail" else None)
        for call in entry["calls"]:
            when = datetime.fromtimestamp(call["calldate"], zone).strftime("%d %H:%M")
            missing = "-" if "rated" in call else ""
            table.add_row(when, *(str(call.get(member, missing)) for _, member in COLUMNS[kind][1:]))
        if kind == "outcalls":  # its eight columns may not fit: then one block of lines per call
            show(table, console)
        else:
            console.print(table)


def run(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="incalls (per extension), outcalls (per device) or queues.")],
    company: Annotated[list[str] | None, typer.Option("--company", help="Company id (repeat for several).")] = None,
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM (default: this month).")] = None,
    day: Annotated[int | None, typer.Option("--day", help="Report from this day of the month...")] = None,
    days: Annotated[int | None, typer.Option("--days", help="...for this many days (default 1).")] = None,
    extension: Annotated[list[str] | None, typer.Option("--extension", help="incalls: only this extension (repeatable).")] = None,
    device: Annotated[list[str] | None, typer.Option("--device", help="outcalls: only this device (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's `values` as JSON.")] = False,
    recalc: Annotated[bool, typer.Option("--recalc", help="outcalls: price the period's calls again first.")] = False,
    start: Annotated[str | None, typer.Option("--from", help="queues: first day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--to", help="queues: last day, included.")] = None,
    queue: Annotated[list[str] | None, typer.Option("--queue", help="queues: only this queue (repeatable).")] = None,
    service_level: Annotated[int, typer.Option("--service-level", help="queues: answered within this many seconds.")] = 20,
) -> None:
    """A company's calls in per extension, or out per device, for a month or some days; or queue figures."""
    if kind == QUEUES:
        if month or day or days or extension or device or recalc:
            raise _stop("--month, --day, --days, --extension, --device and --recalc are not for queues")
        from calldata.cli.queue_report import queues  # only this report needs it

        return queues(ctx, company or [], start, until, queue or [], service_level, as_json)
    if kind not in KINDS:
        raise _stop(f"unknown report {kind!r} (known: {', '.join((*KINDS, QUEUES))})")
    if start or until or queue:
        raise _stop("--from, --to and --queue are for queues")
    if not company:
        raise _stop("--company: needed for incalls and outcalls")
    if extension and kind != "incalls" or (device or recalc) and kind != "outcalls":
        raise _stop("--extension is for incalls, --device and --recalc for outcalls")
    year_month = _month(month)
    scope: dict[str, Any] = {"company": company, "extensions": extension or None, "deviceids": device or None,
                             "day": day, "days": days, "recalc": recalc or None}
    if year_month is not None:
        scope.update(year=year_month[0], month=year_month[1])
    scope = {key: value for key, value in scope.items() if value is not None}
    settings = context.settings(ctx)
    try:
        wanted = report_request({"scope": scope}, kind)
    except ApiError as exc:
        raise _stop(exc.message) from None
    try:
        store = context.store(ctx)
        with store.connect() as conn:
            checked = plan(conn, kind, wanted, settings.display_tz)
            if wanted.recalc:
                recalculate(conn, checked)  # (commits per batch)
        with snapshot(store) as conn:  # the period's days read in one state of the store
            values = tabulate(conn, checked)
    except ReportError as exc:
        raise _stop(f"scope.{exc.key}: {exc.message}") from None
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise _stop(f"database: {str(cause).splitlines()[0]}") from None
    if as_json:
        typer.echo(msgspec.json.encode(values).decode())
    else:
        _print(kind, values, settings.zone)
