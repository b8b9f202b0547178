"""Migration 0009 enters the calls already stored in the change feed, in the order of their first acctid."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, func, select

from calldata.store.engine import alembic_config, upgrade
from calldata.store.schema import call_change, cdr


def test_the_calls_already_stored_enter_the_feed_by_first_acctid(world: Engine) -> None:
    command.downgrade(alembic_config(world), "0008_ingest_gaps")  # the revision before it
    upgrade(world)
    with world.connect() as conn:
        feed = list(conn.execute(select(call_change.c.call).order_by(call_change.c.seq)).scalars())
        firsts = list(conn.execute(select(cdr.c.call).group_by(cdr.c.call).order_by(func.min(cdr.c.acctid))).scalars())
    assert feed and feed == firsts
