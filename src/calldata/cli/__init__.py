"""The `calldata` command: one Typer app, each group of subcommands in its own module."""

from __future__ import annotations

from typing import Annotated

import typer

from calldata.cli import (
    attribution,
    db,
    demo,
    directory,
    export,
    importing,
    ingest,
    keys,
    quarantine,
    report,
    serve,
    users,
)
from calldata.config import ConfigError, Settings

app = typer.Typer(
    name="calldata",
    help="Attributed Asterisk CDRs for multi-company PBXs, served through the Call Data API.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _settings(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", envvar="CALLDATA_DATABASE_URL", help="SQLAlchemy URL of the store."),
    ] = None,
) -> None:
    """Settings come from CALLDATA_* variables; the flags here override them."""
    try:
        ctx.obj = Settings.from_env().with_overrides(database_url=database_url)
    except ConfigError as exc:
        typer.echo(f"calldata: {exc}", err=True)
        raise typer.Exit(2) from None


app.add_typer(db.app, name="db")
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(users.app, name="user")
app.add_typer(keys.app, name="key")
app.add_typer(directory.app, name="directory")
app.add_typer(attribution.app, name="attribution")
app.add_typer(ingest.app, name="ingest")
app.command("reprocess")(attribution.reprocess)
app.command("import")(importing.import_files)
app.command("report")(report.run)
app.command("export")(export.export)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("generate")(demo.generate)


def main() -> None:
    app()
