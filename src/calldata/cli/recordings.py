"""`calldata recordings scan`: tie the files MixMonitor wrote to their legs (docs/recordings.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from calldata.cli import context

SHOWN = 10  # names listed of the files not tied to a leg; the count says how many in all

app = typer.Typer(help="Call recordings: the files MixMonitor wrote, tied to their legs.", no_args_is_help=True)


@app.command("scan")
def scan_command(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", file_okay=False, exists=True, readable=True,
                     help="The recordings directory (default CALLDATA_RECORDINGS_DIR)."),
    ] = None,
) -> None:
    """Store each audio file's size, length and leg; forget files that are gone. Run it again at any time."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from calldata.recordings.scan import scan

    configured = context.settings(ctx).recordings_dir
    if directory is None and not configured:
        typer.echo("calldata recordings scan: no directory (set CALLDATA_RECORDINGS_DIR or give --dir)", err=True)
        raise typer.Exit(2)
    root = directory or Path(configured)
    engine = context.store(ctx)
    console = Console(stderr=True)
    with Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("scan", total=None)
        report = scan(engine, root, lambda done, total: progress.update(task, completed=done, total=total))
    engine.dispose()
    console.print(f"{root}: {report.files:,} recordings; {report.added:,} added, {report.updated:,} updated,"
                  f" {report.removed:,} forgotten (gone from the directory)", highlight=False)
    if report.untied:
        shown = ", ".join(report.untied[:SHOWN]) + (", ..." if len(report.untied) > SHOWN else "")
        console.print(f"{len(report.untied):,} not tied to a leg yet (no CDR names them): {shown}", highlight=False)
    for name in report.refused:
        console.print(f"[yellow]refused[/yellow] {name}: a link leading outside the directory", highlight=False)
