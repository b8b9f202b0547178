"""`calldata queues rebuild`: the kept stays computed again from every stored queue_log event."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from calldata.cli import context

app = typer.Typer(help="Queue stays kept from queue_log (docs/queues.md).", no_args_is_help=True)


@app.command("rebuild")
def rebuild(
    ctx: typer.Context,
    chunk: Annotated[int, typer.Option("--chunk", min=1, help="Callers per transaction.")] = 5000,
) -> None:
    """Compute every caller's stays again from its stored events (once after upgrading a store that
    held events, or after filling queue_event behind calldata's back). Safe beside ingestion; run
    it again at any time."""
    from calldata.queues.kept import rebuild as rebuilt

    engine = context.store(ctx)
    console = Console(stderr=True)
    callers, stays = rebuilt(engine, chunk, lambda done, kept: console.print(
        f"{done:,} callers, {kept:,} stays", highlight=False))
    engine.dispose()
    Console().print(f"stays rebuilt: {callers:,} callers, {stays:,} stays", highlight=False)
