"""A PostgreSQL restart between two requests costs the client nothing: the server reconnects."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from sqlalchemy import Engine, text

from api_helpers import cdr, serving, store_rows
from calldata.api.app import create_app
from calldata.auth import users
from calldata.config import Settings

pytestmark = pytest.mark.anyio
ON_POSTGRES = pytest.mark.parametrize(
    "store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
APP_NAME = "calldata_reconnect_test"  # marks the served app's connections, to drop only those


def served(store_url: str, key: str) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    settings = Settings(database_url=f"{store_url}?application_name={APP_NAME}", password_hash_profile="CHEAPEST")
    return serving(create_app(settings), key)


def drop_app_connections(engine: Engine) -> int:
    """End every session of the served app, as a server restart or a failover would."""
    with engine.connect() as conn:
        return len(conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                 " WHERE application_name = :name AND datname = current_database()"),
            {"name": APP_NAME},
        ).all())


@ON_POSTGRES
async def test_reads_after_the_servers_connections_drop_are_answered(
    store_url: str, engine: Engine, billing_key: str
) -> None:
    store_rows(engine, [cdr(i) for i in range(3)])
    async with served(store_url, billing_key) as client:
        before = await client.post("/rest/call/read", json={})
        assert before.status_code == 200 and before.json()["numRows"] == 3
        assert drop_app_connections(engine) > 0
        after = await client.post("/rest/call/read", json={})
        assert after.status_code == 200, after.text
        assert after.json()["values"] == before.json()["values"]


@ON_POSTGRES
async def test_health_and_logins_after_the_servers_connections_drop(
    store_url: str, engine: Engine, billing_key: str
) -> None:
    with engine.begin() as conn:
        users.add_user(conn, "ann", "a long passphrase", profile="CHEAPEST", actor="test")
    login = {"auth": {"type": "auth", "username": "ann", "password": "a long passphrase"}}
    async with served(store_url, billing_key) as client:
        assert (await client.get("/health")).status_code == 200
        assert (await client.post("/rest/auth/", json=login)).status_code == 200
        assert drop_app_connections(engine) > 0
        health = await client.get("/health")
        assert health.status_code == 200, health.text
        again = await client.post("/rest/auth/", json=login)
        assert again.status_code == 200, again.text
