"""`calldata ingest run|status`: the live ingester and what it has done."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from calldata.cli import context, logs, tables
from calldata.config import Settings
from calldata.ingest import checkpoints
from calldata.ingest.runner import Backoff, Runner, log
from calldata.ingest.source import Source
from calldata.ingest.sources import build, load_config
from calldata.store.engine import StoreUnreachable

app = typer.Typer(help="Follow Asterisk live: its CDR table, the AMI Cdr feed, a growing Master.csv, its queue_log (file or table).", no_args_is_help=True)

ConfigOption = Annotated[Path, typer.Option("--config", "-c", exists=True, dir_okay=False, help="Sources YAML (docs/ingest.md).")]


def _sources(config_path: Path) -> list[Source]:
    try:
        return [build(s) for s in load_config(config_path).sources]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from None


def start_runner(engine: Engine, config_path: Path, settings: Settings) -> Runner:
    """A started ingester for a sources file (used by `ingest run` and `serve --ingest`)."""
    runner = Runner(engine, _sources(config_path), progress_seconds=settings.ingest_progress_seconds)
    runner.start()
    return runner


@app.command("run")
def run(ctx: typer.Context, config: ConfigOption) -> None:
    """Run until SIGTERM or Ctrl-C; outages are waited out, never fatal."""
    logs.setup()
    _sources(config)  # a bad file is an error now, not a retry loop
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    engine = _store_when_reachable(ctx, stopping)
    if engine is None:
        return
    runner = start_runner(engine, config, context.settings(ctx))
    while not stopping.wait(0.5):
        pass
    runner.stop.set()
    runner.join(10)


def _store_when_reachable(ctx: typer.Context, stopping: threading.Event) -> Engine | None:
    """The migrated store, waiting out an outage at start-up (None if stopped meanwhile); a URL
    that can never work (not a URL, no such SQLite folder) is a StoreError, ending the command."""
    backoff = Backoff()
    while not stopping.is_set():
        try:
            return context.store(ctx)
        except StoreUnreachable as exc:
            log.warning("store unavailable, retrying: %s", exc)
            stopping.wait(backoff.next())
    return None


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Rows ingested, quarantined, keys given up, reconnects and lag per source (the figures GET /metrics serves)."""
    engine = context.store(ctx)
    with engine.connect() as conn:
        states = checkpoints.listing(conn)
    table = Table(
        "source", "kind", "ingested", "already present", "quarantined", "reconnects", "keys given up", "lag (s)", "last error", "position"
    )
    for s in states:
        lag = s.lag_seconds()
        table.add_row(
            s.name,
            s.kind,
            str(s.inserted),
            str(s.present),
            str(s.quarantined),
            str(s.reconnects),
            str(s.given_up),
            "" if lag is None else f"{lag:.1f}",
            s.last_error,
            s.position if len(s.position) <= 60 else s.position[:57] + "...",
        )
    tables.show(table)
