"""`calldata serve`: run the Call Data API with uvicorn."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from calldata.api import connections
from calldata.api.app import create_app
from calldata.cli import context, logs
from calldata.cli.port import ensure_free
from calldata.config import Settings
from calldata.console import render
from calldata.reports.roster import current_roster
from calldata.store.engine import check_reachable, sync_engine, upgrade


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option("--host", envvar="CALLDATA_HOST", help="Address to listen on.")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", envvar="CALLDATA_PORT", help="TCP port to listen on.")
    ] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log one line per request.")
    ] = True,
    ingest: Annotated[
        Path | None,
        typer.Option("--ingest", exists=True, dir_okay=False, help="Also run the live ingester on this sources YAML (docs/ingest.md)."),
    ] = None,
) -> None:
    """Serve POST /rest/call/read, GET /health and GET /openapi.json (migrates the store first)."""
    logs.setup()
    settings = context.settings(ctx).with_overrides(host=host, port=port)
    ensure_free(settings.host, settings.port)
    if ingest is None:
        run(settings, access_log=access_log)
        return
    from calldata.cli.ingest import start_runner  # the live ingester in this process's threads

    runner = start_runner(context.store(ctx), ingest, settings)
    try:
        run(settings, access_log=access_log)
    finally:
        runner.stop.set()
        runner.join(10)


def run(settings: Settings, *, access_log: bool = True) -> None:
    """Bring the store's schema up to date, then serve until interrupted."""
    logs.setup()
    settings.check_replica()
    engine = sync_engine(settings.database_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:  # the directory parsed now (~60 ms for 100 users), not at the first view
            current_roster(conn)
        render.compile_all()
    finally:
        engine.dispose()
    if settings.read_database_url:
        check_reachable(settings.read_database_url)
    app = create_app(settings)
    shown = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    logging.getLogger("calldata.serve").info(
        "the web console at http://%s:%s/ (log in as any calldata user), the API at /rest/",
        f"[{shown}]" if ":" in shown else shown, settings.port)
    # Everything loaded so far lives as long as the process: kept out of the collector's full
    # passes, which a report's ~30,000 new objects would otherwise set off over the whole heap
    # (about a sixth of a report's CPU; bench/RESULTS.md, Call reports).
    gc.freeze()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        access_log=access_log,
        # The client address (login throttling, audit) and scheme come from X-Forwarded-For and
        # -Proto only when the TCP peer is a configured proxy: anyone else could forge them.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        server_header=False,
        # Header and body read timeouts and a bound on open connections (calldata.api.connections).
        http=connections.protocol(settings),
        log_config=None,  # uvicorn's lines go through calldata's logging (cli/logs.py): ISO-8601 times
    )
