"""`calldata db`: the store's schema."""

from __future__ import annotations

import typer
from rich.console import Console

from calldata.cli import context

app = typer.Typer(help="Manage the store's schema.", no_args_is_help=True)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Apply pending migrations (every other command does this too)."""
    context.store(ctx)
    Console().print(f"schema up to date: {context.settings(ctx).database_url}")
