"""GET /metrics: Prometheus text exposition of the ingest figures (no /rest/ auth: scrape it locally)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from calldata.config import Settings
from calldata.ingest.metrics import IngestCollector
from calldata.store.engine import sync_engine


def install(app: Starlette, settings: Settings) -> None:
    """Add GET /metrics to the app, reading the store named by `settings`."""
    registry = CollectorRegistry(auto_describe=False)
    engine = sync_engine(settings.database_url)
    registry.register(IngestCollector(engine))

    async def endpoint(_request: Request) -> Response:
        """The ingest figures for Prometheus (docs/ingest.md).
        ---
        summary: Prometheus metrics of the live ingesters (no identity needed; scrape it locally)
        responses:
          "200":
            description: Prometheus text exposition format.
            content:
              text/plain:
                schema: {type: string}
          "500": {$ref: "#/components/responses/Fail"}
        """
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app.router.routes.append(Route("/metrics", endpoint, methods=["GET"]))
