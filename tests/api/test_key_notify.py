"""On PostgreSQL an API key is looked up once and kept until the store announces a change.

Each test changes the auth tables from another connection, as `calldata key revoke` or the
console would, and asks the API again: the change must count within NOTICE seconds. A change
made with the triggers switched off (session_replication_role = replica: nothing is announced)
shows whether the key was really kept, or looked up afresh.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import Engine

from api_helpers import issue_key, serving
from calldata.api.app import create_app
from calldata.auth import keys, users
from calldata.auth.authenticate import Authenticator
from calldata.auth.permissions import BILLING_CALL_SUMMARY
from calldata.config import Settings
from calldata.store.asyncpg_pool import dsn

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize(
    "store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)]

NOTICE = 2.0  # seconds a change may take to count (it measures milliseconds on one host)
READ = {"scope": {"maxRows": 1}}


@asynccontextmanager
async def api(store_url: str, key: str, **settings: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Authenticator]]:
    """A client on the app with its key listener in place (the cache is off until it is)."""
    app = create_app(Settings(database_url=store_url, password_hash_profile="CHEAPEST", **settings))
    authenticator: Authenticator = app.state.authenticator
    async with serving(app, key) as client:
        if settings.get("key_cache", True):
            await until(lambda: authenticator.key_cache.listening)
        yield client, authenticator


async def until(condition: Callable[[], bool], within: float = NOTICE) -> float:
    """Seconds until `condition()` holds, letting the event loop run; fails after `within`."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < within, "not within the time allowed"
        await asyncio.sleep(0.005)
    return time.monotonic() - began


async def status(client: httpx.AsyncClient) -> int:
    return (await client.post("/rest/call/read", json=READ)).status_code


async def kept(client: httpx.AsyncClient, authenticator: Authenticator) -> bool:
    """Two uses: the first is written down (the key's last_used_at), which drops the key's kept
    rows, so the second looks it up again and keeps it."""
    return await status(client) == await status(client) == 200 and len(authenticator.key_cache) == 1


def unannounced(store_url: str, sql: str) -> None:
    """Run `sql` with the triggers off: the API hears nothing of it."""
    with psycopg.connect(dsn(store_url), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(sql)


def key_id(engine: Engine, login: str = "billing") -> int:
    with engine.connect() as conn:
        return int(keys.listing(conn, login)[0]["id"])


async def test_a_key_is_kept_until_a_change_is_announced(store_url: str, engine: Engine) -> None:
    key = issue_key(engine)
    async with api(store_url, key) as (client, authenticator):
        assert await kept(client, authenticator)
        unannounced(store_url, f"UPDATE auth_key SET revoked_at = now() WHERE id = {key_id(engine)}")
        assert await status(client) == 200  # kept: the revocation was not looked up
        with psycopg.connect(dsn(store_url), autocommit=True) as conn:
            conn.execute("SELECT pg_notify('calldata_auth', 'test')")
        await until(lambda: len(authenticator.key_cache) == 0)
        assert await status(client) == 401


@pytest.mark.parametrize("change", ["revoke the key", "disable the owner", "withdraw the grant", "delete the owner"])
async def test_every_change_to_a_key_its_owner_or_grants_is_announced(
    store_url: str, engine: Engine, change: str
) -> None:
    key = issue_key(engine)
    async with api(store_url, key) as (client, authenticator):
        assert await kept(client, authenticator)
        with engine.begin() as conn:
            if change == "revoke the key":
                keys.revoke(conn, key_id(engine), actor="test")
            elif change == "disable the owner":
                users.set_disabled(conn, "billing", True, actor="test")
            elif change == "withdraw the grant":
                users.revoke(conn, "billing", BILLING_CALL_SUMMARY, [], actor="test")
            else:
                conn.exec_driver_sql("DELETE FROM auth_user WHERE login = 'billing'")
        await until(lambda: len(authenticator.key_cache) == 0)
        assert await status(client) in (401, 403)


async def test_a_use_note_announces_nothing(store_url: str, engine: Engine) -> None:
    """The key's last_used_at, written once a minute, is no change to what a check reads."""
    key = issue_key(engine)
    async with api(store_url, key) as (client, authenticator):
        assert await kept(client, authenticator)
        cache = authenticator.key_cache
        generation = cache.generation
        with engine.begin() as conn:
            conn.exec_driver_sql(f"UPDATE auth_key SET last_used_at = now() WHERE id = {key_id(engine)}")
        assert len(cache) == 1
        with engine.begin() as conn:  # a column that counts, though no row changes: announced
            conn.exec_driver_sql("UPDATE auth_key SET revoked_at = NULL WHERE id = 0")
        await until(lambda: cache.generation > generation)
        await asyncio.sleep(0.1)
        assert cache.generation == generation + 1  # the second transaction's notice only
        assert len(cache) == 0


async def test_while_nothing_listens_every_key_is_looked_up(store_url: str, engine: Engine) -> None:
    """The listener's connection is killed: keys are looked up on each request until it is back."""
    key = issue_key(engine)
    async with api(store_url, key) as (client, authenticator):
        cache = authenticator.key_cache
        assert await kept(client, authenticator)
        with psycopg.connect(dsn(store_url), autocommit=True) as conn:
            killed = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'calldata LISTEN calldata_auth' AND datname = current_database()"
            ).fetchall()
        assert killed == [(True,)]
        await until(lambda: not cache.listening)
        assert len(cache) == 0
        unannounced(store_url, f"UPDATE auth_key SET revoked_at = now() WHERE id = {key_id(engine)}")
        assert await status(client) == 401  # looked up, not kept
        unannounced(store_url, f"UPDATE auth_key SET revoked_at = NULL WHERE id = {key_id(engine)}")
        assert await status(client) == 200
        await until(lambda: cache.listening, within=5.0)  # it reconnects by itself
        assert await status(client) == 200 and len(cache) == 1  # the use was written down a moment ago


async def test_with_the_cache_off_a_change_counts_from_the_next_request(store_url: str, engine: Engine) -> None:
    key = issue_key(engine)
    async with api(store_url, key, key_cache=False) as (client, authenticator):
        assert await status(client) == 200
        assert len(authenticator.key_cache) == 0 and not authenticator.key_cache.listening
        unannounced(store_url, f"UPDATE auth_key SET revoked_at = now() WHERE id = {key_id(engine)}")
        assert await status(client) == 401
