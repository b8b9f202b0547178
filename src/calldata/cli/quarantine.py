"""`calldata quarantine`: the input that could not be stored, with where it came from and why."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from calldata.cli import context, tables
from calldata.store import quarantine

RAW_SHOWN = 500  # characters of a quarantined line shown; the store keeps all of it

app = typer.Typer(help="Inspect input that could not be stored.", no_args_is_help=True)


@app.command("list")
def list_entries(
    ctx: typer.Context,
    source: Annotated[
        str | None, typer.Option("--source", help="Only entries of this source (a file path, or a source name).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most entries to show, newest first.")] = 50,
) -> None:
    """Show quarantined entries, newest first."""
    if source is not None and Path(source).exists():
        source = str(Path(source).resolve())  # files are quarantined under their absolute path
    engine = context.store(ctx)
    with engine.connect() as conn:
        entries = quarantine.listing(conn, source=source, limit=limit)
    engine.dispose()
    table = Table(title=f"Quarantine ({len(entries)} shown)")
    for name in ("id", "when", "source", "position", "reason", "raw"):
        table.add_column(name, overflow="fold")
    for e in entries:
        table.add_row(
            str(e["id"]),
            e["created_at"].strftime("%Y-%m-%d %H:%M:%S"),
            e["source"],
            e["position"],
            e["reason"],
            _shortened(e["raw"]),
            end_section=True,
        )
    tables.show(table)


def _shortened(raw: str) -> str:
    return raw if len(raw) <= RAW_SHOWN else f"{raw[:RAW_SHOWN]}… ({len(raw)} characters)"
