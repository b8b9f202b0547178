"""POST /rest/attribution/report through the whole app, as `calldata serve` builds it."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from api_helpers import cdr, serving, store_rows
from calldata.api.app import create_app
from calldata.config import Settings

pytestmark = pytest.mark.anyio


async def test_an_admin_gets_the_report_on_the_apps_own_connections(
    store_url: str, engine: Engine, admin_key: str
) -> None:
    # The app reads in autocommit; the report streams its rows, which PostgreSQL allows only in
    # a transaction ("DECLARE CURSOR can only be used in transaction blocks" was a 500).
    store_rows(engine, [cdr(i) for i in range(3)])
    async with serving(create_app(Settings(database_url=store_url)), admin_key) as client:
        r = await client.post("/rest/attribution/report", json={"top": 2})
    assert r.status_code == 200, r.text
    report = r.json()["report"]
    assert report["rows"] == 3 and report["unattributed"] == 3
    assert len(report["channels"]) == 2 and len(report["contexts"]) == 1
