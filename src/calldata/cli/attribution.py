"""`calldata attribution report` and `calldata reprocess`: coverage, and re-deciding stored rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from calldata.attribution import refresh
from calldata.cli import context, tables
from calldata.coverage.report import coverage

app = typer.Typer(help="How well attribution covers the stored rows.", no_args_is_help=True)


def parse_when(value: str | None) -> datetime | None:
    """`2026-11-29` or an ISO date-time; without an offset it is UTC."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD) or ISO date-time: {value!r}") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


Since = Annotated[str | None, typer.Option("--since", help="From this date (YYYY-MM-DD or ISO date-time, UTC).")]
Until = Annotated[str | None, typer.Option("--until", help="Before this date (exclusive).")]


@app.command()
def report(
    ctx: typer.Context,
    since: Since = None,
    until: Until = None,
    top: Annotated[int, typer.Option(min=1, help="How many channels, contexts, numbers to list.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Rows lacking each property, and the most frequent unresolved channels, contexts, numbers."""
    with context.store(ctx).begin() as conn:  # whole UTC days from the stored tallies (calldata.coverage)
        result = coverage(conn, parse_when(since), parse_when(until), top)
    if as_json:
        typer.echo(msgspec.json.encode(result).decode())
        return
    console = Console()
    share = result.company_or_target_share
    console.print(f"{result.rows} rows; directory version {result.directory_version}; "
                  f"{result.unattributed} never attributed; company or target decided: "
                  f"{result.company_or_target} ({share:.2%})")
    missing = Table("property", "rows undecided", title="Undecided properties")
    for name, count in result.missing.items():
        missing.add_row(name, str(count))
    tables.show(missing, console)
    for title, pairs in (("Unknown channels", result.channels), ("Unclaimed contexts", result.contexts),
                         ("Numbers without a target", result.numbers)):
        table = Table(title.split()[-1].rstrip("s"), "rows", title=title)
        for value, count in pairs:
            table.add_row(value, str(count))
        tables.show(table, console)


def reprocess(
    ctx: typer.Context,
    since: Since = None,
    batch: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = 5000,
) -> None:
    """Re-decide stored rows with the current directory (acctids never change; safe to repeat)."""
    when = parse_when(since)
    engine = context.store(ctx)
    with engine.connect() as conn:
        total = refresh.pending(conn, when)
        conn.rollback()
        columns = (TextColumn("reprocessing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True)) as progress:
            task = progress.add_task("rows", total=total)
            result = refresh.reprocess(conn, when, batch=batch, progress=lambda n: progress.advance(task, n))
    Console().print(f"{total} rows looked at ({result.examined} legs of their calls decided), "
                    f"{result.updated} rows changed")
