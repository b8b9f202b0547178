"""`calldata reports refresh`: the call reports' day tables of recent months stored ahead of the
first view (docs/console.md, Call reports)."""

from __future__ import annotations

from typing import Annotated

import typer

from calldata.cli import context

app = typer.Typer(help="The call reports: their stored day tables.", no_args_is_help=True)


@app.command("refresh")
def refresh_command(
    ctx: typer.Context,
    months: Annotated[int, typer.Option("--months", min=1, max=24,
                                        help="Months back to store, this one included (2: this and the last).")] = 2,
) -> None:
    """Store the day tables of incalls and outcalls of every company of the directory for the last
    --months months (each company's months in its zone), so even the first view after a restart
    reads stored days; days stored and still true are left as they are. Stored days of an older
    directory version, or not read for 40 days, are pruned. Run it at any time (from cron, say)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from calldata.reports.refresh import refresh

    engine = context.store(ctx)
    console = Console(stderr=True)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=console, transient=True) as progress:
            task = progress.add_task("reports", total=None)
            done = refresh(engine, context.settings(ctx).display_tz, months,
                           progress=lambda n, total, what: progress.update(task, completed=n, total=total,
                                                                           description=what))
    finally:
        engine.dispose()
    typer.echo(done.line())
