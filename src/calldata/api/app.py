"""The Starlette application: routes, error envelopes, and the database engine it reads through."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Route

from calldata.api import (attribution_report, auth_routes, call_read, calls, export, health, metrics, queue_stats,
                          recordings, reports)
from calldata.api.errors import ApiError, api_error, http_error, internal_error
from calldata.api.openapi import openapi
from calldata.api.prefetch import Prefetcher
from calldata.api.upkeep import Upkeep
from calldata.config import Settings
from calldata.console import pages as console
from calldata.reports.cache import ReportCache
from calldata.reports.kept import KeptDays
from calldata.store import reads
from calldata.store.asyncpg_pool import AsyncpgPool
from calldata.store.engine import async_engine


def _pool(url: str, display_tz: str) -> AsyncpgPool:
    return AsyncpgPool(url, settings={"TimeZone": display_tz, "DateStyle": "ISO"})


def create_app(settings: Settings) -> Starlette:
    """The API app on `settings.database_url` (already migrated: `calldata serve` sees to that)."""
    # A page is one SELECT, atomic on its own: autocommit spares a BEGIN and a ROLLBACK per page.
    # Set on the engine, each connection is put in autocommit once, not at every checkout (an
    # `execution_options` engine toggles it each time: ~0.2 ms per connection use).
    engine = async_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    # Pages, calls, exports and reports read from the replica when there is one; identity
    # (sessions, keys, throttling) stays on the primary, whose changes are heard (auth.key_cache).
    reader = (async_engine(settings.read_database_url, isolation_level="AUTOCOMMIT")
              if settings.read_database_url else engine)
    reads.prepare(reader, settings.display_tz)
    # On PostgreSQL, what every request does (key check, page read) runs on asyncpg directly.
    pool = _pool(settings.database_url, settings.display_tz) if engine.dialect.name == "postgresql" else None
    read_pool = _pool(settings.read_database_url, settings.display_tz) if settings.read_database_url else pool
    pools = [each for each in dict.fromkeys((pool, read_pool)) if each is not None]
    ahead = Prefetcher(ttl=settings.prefetch_seconds, max_bytes=settings.prefetch_max_bytes,
                       identity_bytes=settings.prefetch_max_bytes_per_identity)
    report_cache = ReportCache()
    kept_days = KeptDays(stored=True)  # day tables of reports, shared by the API and the console, stored
    recordings_dir = Path(settings.recordings_dir) if settings.recordings_dir else None
    read = call_read.endpoint(call_read.page_reader(reader, read_pool), settings.max_rows_cap, ahead)

    upkeep = Upkeep(settings)  # the dashboards' closed days built every CALLDATA_UPKEEP_SECONDS

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        for each in pools:
            await each.open()
        upkeep.start()
        try:
            yield
        finally:
            await upkeep.stop()
            await ahead.close()
            for each in pools:
                await each.close()
            await engine.dispose()
            if reader is not engine:
                await reader.dispose()

    app = Starlette(
        routes=[
            Route("/rest/call/read", read, methods=["POST"]),
            Route("/rest/call/read/{type}", read, methods=["POST"]),
            *(Route(f"/rest/call/{kind}", reports.endpoint(reader, kind, settings.display_tz, report_cache, kept_days,
                                                              engine),
                    methods=["POST"])
              for kind in reports.KINDS),
            Route("/rest/call/calls", calls.endpoint(reader, settings.max_rows_cap, settings.display_tz), methods=["POST"]),
            Route("/rest/call/export", export.endpoint(reader, settings.display_tz), methods=["POST"]),
            Route("/rest/call/list", recordings.list_endpoint(reader, settings.max_rows_cap), methods=["POST"]),
            # the download writes the audit log: on the primary
            Route("/rest/call/download/recording", recordings.download_endpoint(engine, recordings_dir),
                  methods=["GET", "POST"]),
            Route("/rest/queue/stats", queue_stats.endpoint(reader, settings.display_tz), methods=["POST"]),
            Route("/health", health.endpoint(engine, reader), methods=["GET"]),
            Route("/rest/attribution/report", attribution_report.endpoint(engine), methods=["POST"]),
            Route("/openapi.json", openapi, methods=["GET"]),
        ],
        exception_handlers={ApiError: api_error, HTTPException: http_error, Exception: internal_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.reader = reader
    app.state.report_cache = report_cache
    app.state.kept_days = kept_days
    authenticator = auth_routes.install(app, settings, keys_on=pool)  # identity and permissions on every /rest/ route
    app.state.authenticator = authenticator
    # the web console at / (its own login gate; the same users, sessions and throttling)
    app.router.routes.extend(console.routes(engine, reader, authenticator, settings.display_tz, kept_days))
    metrics.install(app, settings)  # GET /metrics (ingest figures)
    return app
