"""`calldata ingest run|status`: the live ingester and what it has done."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from calldata.cli import context
from calldata.ingest import checkpoints
from calldata.ingest.runner import Runner
from calldata.ingest.sources import build, load_config

app = typer.Typer(help="Follow Asterisk live: its CDR table, the AMI Cdr feed, a growing Master.csv.", no_args_is_help=True)

ConfigOption = Annotated[Path, typer.Option("--config", "-c", exists=True, dir_okay=False, help="Sources YAML (docs/ingest.md).")]


def start_runner(engine, config_path: Path) -> Runner:  # type: ignore[no-untyped-def]
    """A started ingester for a sources file (used by `ingest run` and `serve --ingest`)."""
    try:
        config = load_config(config_path)
        sources = [build(s) for s in config.sources]
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    runner = Runner(engine, sources)
    runner.start()
    return runner


@app.command("run")
def run(ctx: typer.Context, config: ConfigOption) -> None:
    """Run until SIGTERM or Ctrl-C; outages are waited out, never fatal."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=[RichHandler(console=Console(stderr=True))])
    engine = context.store(ctx)
    runner = start_runner(engine, config)

    def stop(*_: object) -> None:
        runner.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not runner.stop.wait(0.5):
        pass
    runner.join(10)


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Rows ingested, quarantined, reconnects and lag per source (the figures GET /metrics serves)."""
    engine = context.store(ctx)
    with engine.connect() as conn:
        states = checkpoints.listing(conn)
    table = Table("source", "kind", "ingested", "already present", "quarantined", "reconnects", "lag (s)", "last error", "position")
    for s in states:
        lag = s.lag_seconds()
        table.add_row(
            s.name,
            s.kind,
            str(s.inserted),
            str(s.present),
            str(s.quarantined),
            str(s.reconnects),
            "" if lag is None else f"{lag:.1f}",
            s.last_error,
            s.position if len(s.position) <= 60 else s.position[:57] + "...",
        )
    Console(width=200).print(table)
