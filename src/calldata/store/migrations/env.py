"""Alembic environment: runs on the engine that `calldata.store.engine.upgrade` hands over."""

from alembic import context

# Every module that puts tables on the shared metadata, so autogenerate sees the whole schema.
import calldata.attribution.schema  # noqa: F401
import calldata.auth.schema  # noqa: F401
import calldata.coverage.schema  # noqa: F401
import calldata.dashboards.schema  # noqa: F401
import calldata.ingest.checkpoints  # noqa: F401
import calldata.queues.schema  # noqa: F401
import calldata.rating.schema  # noqa: F401
import calldata.recordings.schema  # noqa: F401
import calldata.reports.schema  # noqa: F401
from calldata.store.partitions import on_database
from calldata.store.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=on_database(connection.dialect.name),
    )
    context.run_migrations()
