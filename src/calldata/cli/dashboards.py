"""`calldata dashboards refresh`: the stored days of the console's dashboards brought up to date
ahead of the first visitor (docs/console.md, Dashboards)."""

from __future__ import annotations

from typing import Annotated

import typer

from calldata.cli import context

app = typer.Typer(help="The console's dashboards: their stored days.", no_args_is_help=True)


@app.command("refresh")
def refresh_command(
    ctx: typer.Context,
    days: Annotated[int, typer.Option("--days", min=0, max=3660, help="Closed days back from today to build.")] = 62,
    drop: Annotated[bool, typer.Option("--drop", help="Drop every stored day first (legs changed by hand).")] = False,
) -> None:
    """Drop the stored days whose legs changed, then build the missing closed days of the last --days
    days for the operator, every company of the directory and the sets of companies already stored,
    in the display zone. Run it at any time (from cron after midnight, say; `calldata serve` does it
    every CALLDATA_UPKEEP_SECONDS): a day already stored is left alone."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from calldata.dashboards import refresh, stored

    zone = ZoneInfo(context.settings(ctx).display_tz)
    wanted = refresh.recent(zone, datetime.now(UTC), days)
    engine = context.store(ctx)
    try:
        if drop:
            with engine.begin() as conn:
                refresh.lock(conn)
                stored.forget(conn, lambda table: table.c.day.is_not(None))
        for key, built in refresh.bring_up(engine, zone, wanted).items():
            typer.echo(f"{stored.named(key)}: {built} of {len(wanted)} days built")
    finally:
        engine.dispose()
