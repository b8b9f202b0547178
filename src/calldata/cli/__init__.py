"""The `calldata` command: one Typer app, each group of subcommands in its own module, imported
only when that subcommand is looked up (cli/lazy.py): start-up pays for the command run, not all."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

import calldata
from calldata.cli.lazy import LazyCommands
from calldata.config import ConfigError, Settings
from calldata.store.errors import StoreError

DATABASE_URL = "--database-url"

# Subcommand -> "module:attribute" under calldata.cli, in `calldata --help`'s order (commands,
# then groups, as Typer lists them). A sub-Typer becomes a group, a function a command.
COMMANDS = {
    "reprocess": "attribution:reprocess",
    "rerate": "rating:rerate",
    "import": "importing:import_files",
    "report": "report:run",
    "export": "export:export",
    "serve": "serve:serve",
    "demo": "demo:demo",
    "generate": "demo:generate",
    "statement": "statement:statement",
    "retention": "retention:retention",
    "db": "db:app",
    "quarantine": "quarantine:app",
    "user": "users:app",
    "key": "keys:app",
    "directory": "directory:app",
    "attribution": "attribution:app",
    "ingest": "ingest:app",
    "rates": "rating:app",
    "recordings": "recordings:app",
    "dashboards": "dashboards:app",
    "reports": "reports:app",
    "queues": "queues:app",
}


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
    setting or store calldata cannot use ends any command with one line, not a traceback; its
    subcommands are imported when looked up (COMMANDS)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(COMMANDS, self.commands)

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



def main() -> None:
    app()
