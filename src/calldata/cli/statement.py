"""`calldata statement`: a company's monthly statement, or the carriers' reconciliation, as a
table, CSV or printable HTML (PDF: print the HTML from a browser)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from calldata.cli import context
from calldata.cli.report import parse_month
from calldata.cli.tables import show
from calldata.reports.request import ReportError
from calldata.statements.build import Statement
from calldata.statements.carriers import Carrier
from calldata.statements.monthly import carrier_statement, company_statement
from calldata.statements.render import carriers_csv, carriers_html, per_currency, statement_csv, statement_html


class Format(str, Enum):
    table = "table"
    csv = "csv"
    html = "html"


def _stop(message: str) -> typer.Exit:
    typer.echo(f"calldata statement: {message}", err=True)
    return typer.Exit(2)


def _table(title: str, heads: tuple[str, ...], rows: list[tuple[object, ...]]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for number, head in enumerate(heads):
        table.add_column(head, justify="left" if number == 0 else "right", no_wrap=True)
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    return table


def _print_statement(built: Statement, console: Console) -> None:
    console.print(f"{built.name} ({built.company}): calls of {built.month}, time zone {built.zone}", highlight=False)
    heads = ("", "calls", "minutes", "amount")
    show(_table("by destination", ("destination", *heads[1:]), [
        (line.key, line.calls, line.minutes, f"{line.amount} {line.currency}") for line in built.destinations]),
        console)
    show(_table("by extension", ("extension", *heads[1:]), [
        (f"{line.key} {built.names.get(line.key, '')}".strip(), line.calls, line.minutes,
         f"{line.amount} {line.currency}") for line in built.extensions]
        + [("total", line.calls, line.minutes, f"{line.amount} {line.currency}") for line in built.totals]), console)
    if built.unpriced.calls:
        console.print(f"not priced (not in the total): {built.unpriced.calls} calls, {built.unpriced.minutes} minutes",
                      highlight=False)


def _print_carriers(month: str, zone: str, found: list[Carrier], console: Console) -> None:
    rows = [(carrier.trunk, carrier.calls, carrier.minutes, carrier.uncosted,
             *("" if amount is None else f"{amount} {currency}" for amount in amounts))
            for carrier in found for currency, *amounts in per_currency(carrier)]
    show(_table(f"carriers, {month} ({zone})", ("trunk", "calls", "minutes", "no cost", "cost", "price", "margin"),
                rows), console)


def statement(
    ctx: typer.Context,
    company: Annotated[str | None, typer.Option("--company", help="The company billed (its bill_to legs).")] = None,
    carriers: Annotated[bool, typer.Option("--carriers", help="Per trunk: calls, minutes, cost, price, margin.")] = False,
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM (default: last month).")] = None,
    shape: Annotated[Format, typer.Option("--format", help="table (terminal), csv or html (printable).")] = Format.table,
    out: Annotated[Path | None, typer.Option("--out", dir_okay=False, help="Write to FILE (default: stdout).")] = None,
) -> None:
    """A company's monthly statement (per destination and extension, exact total), or --carriers."""
    if (company is None) == (not carriers):
        raise _stop("name --company COMPANY, or --carriers")
    try:
        year, number = parse_month(month) if month is not None else _last_month()
        if not 1 <= number <= 12:
            raise ValueError(f"--month: no month {number} (01-12)")
    except ValueError as exc:
        raise _stop(str(exc)) from None
    settings = context.settings(ctx)
    made = datetime.now(settings.zone)
    try:
        with context.store(ctx).connect() as conn:
            if company is not None:
                built = company_statement(conn, company, year, number, settings.display_tz)
                text = {Format.csv: lambda: statement_csv(built), Format.html: lambda: statement_html(built, made)}
            else:
                zone, found = carrier_statement(conn, year, number)
                label = f"{year:04d}-{number:02d}"
                text = {Format.csv: lambda: carriers_csv(found),
                        Format.html: lambda: carriers_html(label, zone, found, made)}
    except ReportError as exc:
        raise _stop(f"--{exc.key}: {exc.message}") from None
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise _stop(f"database: {str(cause).splitlines()[0]}") from None
    if shape is not Format.table:
        _write(text[shape](), out)
        return
    console = Console(record=out is not None)
    if company is not None:
        _print_statement(built, console)
    else:
        _print_carriers(label, zone, found, console)
    if out is not None:
        _write(console.export_text(), out)


def _last_month() -> tuple[int, int]:
    """The month before this one (UTC): a statement is made once the month is over."""
    today = datetime.now(UTC).date()
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


def _write(text: str, out: Path | None) -> None:
    """To stdout, or to FILE through FILE.part renamed at the end (never half-written)."""
    if out is None:
        typer.echo(text, nl=False)
        return
    part = out.with_name(out.name + ".part")
    part.write_text(text, encoding="utf-8", newline="")
    part.replace(out)
