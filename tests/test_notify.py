"""store.notify.Listener on a real PostgreSQL, and on a port where nothing answers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import psycopg
import pytest

from calldata.store.asyncpg_pool import dsn
from calldata.store.notify import Listener
from servers import free_port

pytestmark = pytest.mark.anyio


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < within, "not within the time allowed"
        await asyncio.sleep(0.005)


@pytest.mark.postgres
async def test_notifications_are_heard_while_listening(postgres_url: str) -> None:
    heard: list[str] = []
    states: list[bool] = []
    listener = Listener(dsn(postgres_url), "calldata_test_channel", on_change=lambda: heard.append("change"),
                        on_state=states.append)
    listener.start()
    try:
        await until(lambda: states == [True])
        with psycopg.connect(dsn(postgres_url), autocommit=True) as conn:
            conn.execute("SELECT pg_notify('calldata_test_channel', 'a')")
            conn.execute("SELECT pg_notify('some_other_channel', 'b')")
            conn.execute("SELECT pg_notify('calldata_test_channel', 'c')")
        await until(lambda: len(heard) == 2)
        await asyncio.sleep(0.1)
        assert heard == ["change", "change"]  # the other channel's is not heard
    finally:
        await listener.stop()
    assert states == [True, False]


async def test_a_store_it_cannot_reach_is_logged_once_and_never_listened_to(
    caplog: pytest.LogCaptureFixture,
) -> None:
    states: list[bool] = []
    listener = Listener(f"postgresql://nobody@127.0.0.1:{free_port()}/none", "calldata_auth",
                        on_change=lambda: None, on_state=states.append, retry_seconds=0.05)
    with caplog.at_level(logging.WARNING, logger="calldata.store"):
        listener.start()
        await asyncio.sleep(0.6)  # about ten attempts
        await listener.stop()
    warnings = [r.getMessage() for r in caplog.records if r.name == "calldata.store"]
    assert len(warnings) == 1 and warnings[0].startswith("LISTEN calldata_auth:"), warnings
    assert True not in states
