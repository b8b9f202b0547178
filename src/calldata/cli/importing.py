"""`calldata import FILE...`: Asterisk CSV CDR files into the store, with a progress bar and a summary."""

from __future__ import annotations

from datetime import UTC, tzinfo
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from calldata.cli import context, tables
from calldata.ingest.csvfile import LAYOUTS, Layout, LayoutError, layout_from_spec
from calldata.ingest.importer import BATCH_SIZE, FileImport, import_file


def _zone(name: str) -> tzinfo:
    if name.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise typer.BadParameter(f"unknown time zone {name!r} (use an IANA name such as Europe/London)") from None


def _layout(spec: str | None) -> Layout | None:
    if spec is None or spec == "auto":
        return None
    try:
        return layout_from_spec(spec)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def import_files(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Master.csv (or per-account) files written by cdr_csv or cdr_custom.")],
    source_tz: Annotated[
        str, typer.Option("--source-tz", help="Zone of the times in the files (cdr.conf usegmtime=yes: UTC).")
    ] = "UTC",
    layout: Annotated[
        str | None,
        typer.Option(
            "--layout",
            help=f"Force a layout instead of detecting it per file: {', '.join(LAYOUTS)}, or a column list.",
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Records per transaction.")] = BATCH_SIZE,
) -> None:
    """Import Asterisk CSV CDR files; bad lines go to the quarantine, re-imports add nothing twice."""
    zone = _zone(source_tz)
    forced = _layout(layout)
    engine = context.store(ctx)
    console = Console(stderr=True)
    results: list[tuple[Path, FileImport]] = []
    failed: list[tuple[Path, str]] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        for path in files:
            try:
                size = path.stat().st_size
            except OSError as exc:
                failed.append((path, exc.strerror or str(exc)))
                continue
            task = progress.add_task(path.name, total=size)
            try:
                result = import_file(
                    engine,
                    path,
                    zone,
                    layout=forced,
                    batch_size=batch_size,
                    progress=lambda done, task=task: progress.update(task, completed=done),
                )
            except (LayoutError, OSError, EOFError) as exc:  # EOFError: a truncated .gz
                failed.append((path, str(exc)))
                continue
            finally:
                progress.remove_task(task)  # the summary below says how it went
            results.append((path, result))
    engine.dispose()
    if results:
        tables.show(_summary(results))
    for path, reason in failed:
        console.print(f"[red]not imported[/red] {path}: {reason}")
    if failed:
        console.print("(batches stored before a file failed are kept; importing it again adds only the rest)")
    if any(r.quarantined for _, r in results):
        console.print("quarantined lines: [bold]calldata quarantine list --source FILE[/bold]")
    if failed:
        raise typer.Exit(1)


def _summary(results: list[tuple[Path, FileImport]]) -> Table:
    table = Table(title="Import")
    table.add_column("file", overflow="fold")
    table.add_column("layout", overflow="fold")
    for name in ("read", "inserted", "already present", "quarantined"):
        table.add_column(name, justify="right", no_wrap=True)
    for path, r in results:
        table.add_row(str(path), r.layout, *_counts(r))
    if len(results) > 1:
        total = FileImport(path="total", layout="")
        for _, r in results:
            total.read += r.read
            total.inserted += r.inserted
            total.present += r.present
            total.quarantined += r.quarantined
            total.newly_quarantined += r.newly_quarantined
        table.add_row("[bold]total[/bold]", "", *_counts(total))
    return table


def _counts(r: FileImport) -> tuple[str, ...]:
    again = r.quarantined - r.newly_quarantined
    quarantined = f"{r.quarantined} ({again} already)" if again else str(r.quarantined)
    return str(r.read), str(r.inserted), str(r.present), quarantined
