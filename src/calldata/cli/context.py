"""Helpers every subcommand uses to reach the settings and an up-to-date store."""

from __future__ import annotations

import typer
from sqlalchemy import Engine

from calldata.config import Settings
from calldata.store.engine import sync_engine, upgrade


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings.from_env()


def store(ctx: typer.Context) -> Engine:
    """An engine on the configured database, migrated to the current schema."""
    engine = sync_engine(settings(ctx).database_url)
    upgrade(engine)
    return engine
