"""Helpers every subcommand uses to reach the settings and an up-to-date store.

SQLAlchemy and Alembic are imported when a store is asked for, not with this module: a command's
`--help`, or one stopped by a bad option, needs neither."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from calldata.config import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings.from_env()


def store(ctx: typer.Context) -> Engine:
    """An engine on the configured database, migrated to the current schema."""
    from calldata.store.engine import sync_engine, upgrade

    engine = sync_engine(settings(ctx).database_url)
    upgrade(engine)
    return engine
