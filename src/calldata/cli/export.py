"""`calldata export`: legs or calls of a date window streamed to a file or stdout as CSV or NDJSON.

The store's modules (SQLAlchemy, the export's queries) and Rich's progress bar are imported inside
the functions that use them: `calldata export --help` and a bad option answer without them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, BinaryIO
from zoneinfo import ZoneInfo

import typer

from calldata.cli import context


def _stop(message: str) -> typer.Exit:
    typer.echo(f"calldata export: {message}", err=True)
    return typer.Exit(2)


def _day(option: str, value: str, zone: ZoneInfo) -> datetime:
    """Local midnight of a YYYY-MM-DD day in the display zone."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _stop(f"{option}: not a date (YYYY-MM-DD): {value!r}") from None
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise _stop(f"{option}: one of {', '.join(choices)}, not {value!r}")
    return value


def export(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD, display zone).")],
    until: Annotated[str, typer.Option("--to", help="Last day, included (YYYY-MM-DD).")],
    company: Annotated[str | None, typer.Option("--company", help="Only this company's legs or calls.")] = None,
    kind: Annotated[str, typer.Option("--kind", help="legs (rows with their properties) or calls.")] = "legs",
    fmt: Annotated[str, typer.Option("--format", help="csv or ndjson.")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", dir_okay=False, help="File to write (default: stdout).")] = None,
    bom: Annotated[bool, typer.Option("--bom", help="CSV: start with a UTF-8 BOM (for Excel).")] = False,
) -> None:
    """Stream a window's legs or calls as CSV or NDJSON, in constant memory whatever its size."""
    from sqlalchemy.exc import SQLAlchemyError

    from calldata.calls.export import FORMATS, KINDS, Export, chunks, legs_in
    from calldata.reports.roster import current_roster
    from calldata.store import reads

    settings = context.settings(ctx)
    zone = settings.zone
    first, last = _day("--from", start, zone), _day("--to", until, zone)
    if last < first:
        raise _stop(f"--to: {until} is before --from {start}")
    wanted = Export(kind=_choice("--kind", kind, KINDS), format=_choice("--format", fmt, FORMATS),
                    min_date=first, max_date=last + timedelta(days=1),
                    companies=None if company is None else {company}, bom=bom, zone=zone)
    try:
        engine = context.store(ctx)
        reads.prepare(engine, settings.display_tz)
        engine.dispose()  # the migration's pooled connection predates `prepare`: start afresh
        with engine.connect() as conn:
            if company is not None:
                roster = current_roster(conn)
                if roster is None or company not in roster.directory.companies:
                    raise _stop(f"--company: {company!r} is not a company of the directory")
            _write(out, chunks(conn, wanted), lambda: legs_in(conn, wanted))
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise _stop(f"database: {str(cause).splitlines()[0]}") from None
    except KeyboardInterrupt:
        typer.echo("calldata export: interrupted (an --out file is not written)", err=True)
        raise typer.Exit(130) from None


def _write(out: Path | None, parts: Iterator[tuple[bytes, int]], count: Callable[[], int]) -> None:
    """Write every chunk to `out` (through `out.part`, renamed at the end) or stdout; a progress bar
    on stderr when it is a terminal. `count` (a COUNT over the window, read before the first
    byte) is run only for that bar's total: a script or a pipe does not wait for it."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    with ExitStack() as stack:
        partial = None if out is None else out.with_name(out.name + ".part")
        stream: BinaryIO = sys.stdout.buffer if partial is None else stack.enter_context(partial.open("wb"))
        progress = stack.enter_context(Progress(
            TextColumn("export"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console,
            disable=not console.is_terminal, transient=True))
        task = progress.add_task("export", total=count() if console.is_terminal else None)
        try:
            for data, legs in parts:
                stream.write(data)
                progress.advance(task, legs)
        except BaseException:
            if partial is not None:
                stream.close()
                partial.unlink(missing_ok=True)
            raise
    if partial is not None and out is not None:
        partial.replace(out)
