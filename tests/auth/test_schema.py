"""Migration 0002_auth creates exactly the tables calldata.auth.schema describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData

from calldata.auth import schema


def test_the_migrated_store_matches_the_auth_schema(engine: Engine) -> None:
    ours = MetaData()
    for table in (schema.auth_user, schema.auth_grant, schema.auth_session, schema.auth_key,
                  schema.auth_failure, schema.auth_audit):
        table.to_metadata(ours)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), ours)
    # only differences about our tables count (other migrations own the rest)
    ours_only = [d for d in diff if "auth_" in repr(d)]
    assert ours_only == []
