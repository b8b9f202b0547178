"""The `calldata` command: one Typer app, each group of subcommands in its own module."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

import calldata

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
    rating,
    report,
    serve,
    users,
)
from calldata.config import ConfigError, Settings
from calldata.store.engine import StoreError

DATABASE_URL = "--database-url"


def _hoisted(args: list[str]) -> list[str]:
    """`--database-url X` (or `=X`) given after the subcommand, moved in front of it (without
    its X, the subcommand says the option is unknown)."""
    front: list[str] = []
    rest: list[str] = []
    words = iter(args)
    for word in words:
        if word == "--":
            rest += [word, *words]
        elif word == DATABASE_URL and (value := next(words, None)) is not None:
            front += [word, value]
        elif word.startswith(DATABASE_URL + "="):
            front.append(word)
        else:
            rest.append(word)
    return front + rest


class _Calldata(TyperGroup):
    """The root command: the store's URL may follow the subcommand (as the docs show it), and a
    setting or store calldata cannot use ends any command with one line, not a traceback."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _hoisted(args))

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ConfigError, StoreError) as exc:
            typer.echo(f"calldata: {exc}", err=True)
            raise typer.Exit(2 if isinstance(exc, ConfigError) else 1) from None


app = typer.Typer(
    name="calldata",
    cls=_Calldata,
    help="Attributed Asterisk CDRs for multi-company PBXs, served through the Call Data API.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _version(shown: bool) -> None:
    if shown:
        typer.echo(f"calldata {calldata.__version__}")
        raise typer.Exit()


@app.callback()
def _settings(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(DATABASE_URL, envvar="CALLDATA_DATABASE_URL",
                     help="SQLAlchemy URL of the store (also accepted after the subcommand)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_version, help="Print the version and stop.")
    ] = False,
) -> None:
    """Settings come from CALLDATA_* variables; the flags here override them."""
    ctx.obj = Settings.from_env().with_overrides(database_url=database_url)


app.add_typer(db.app, name="db")
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(users.app, name="user")
app.add_typer(keys.app, name="key")
app.add_typer(directory.app, name="directory")
app.add_typer(attribution.app, name="attribution")
app.add_typer(ingest.app, name="ingest")
app.command("reprocess")(attribution.reprocess)
app.add_typer(rating.app, name="rates")
app.command("rerate")(rating.rerate)
app.command("import")(importing.import_files)
app.command("report")(report.run)
app.command("export")(export.export)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("generate")(demo.generate)


def main() -> None:
    app()
