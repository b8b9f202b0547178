"""A client that leaves mid-export: `calldata serve` (a real subprocess) stops reading for it, its
query ends on the database (PostgreSQL: no COPY left running), and the next export is whole."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import Engine, text

from api.api_helpers import issue_key
from export.test_export_memory import fill
from servers import serving_process

ROWS = 60_000  # ~20 MB of CSV: more than the socket buffers hold, so the server is still reading


def running_exports(engine: Engine) -> int:
    """Queries of the export still running on PostgreSQL (other connections than this one)."""
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE 'COPY (SELECT page.acctid%'"
        )).scalar_one()


def test_a_client_gone_mid_export_leaves_the_server_whole(store_url: str, engine: Engine) -> None:
    fill(engine, ROWS)
    key = issue_key(engine)
    headers = {"authorization": f"Bearer {key}"}
    with serving_process(store_url) as (base, _proc):
        with httpx.stream("POST", f"{base}/rest/call/export", json={"scope": {}}, headers=headers,
                          timeout=60) as answer:
            assert answer.status_code == 200
            first = next(answer.iter_bytes())
        assert first.startswith(b"acctid,")  # the answer was closed after its first bytes
        if engine.dialect.name == "postgresql":
            deadline = time.monotonic() + 30
            while running_exports(engine) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert running_exports(engine) == 0
        for _ in range(3):  # more than one connection of the pool: none is left mid-COPY
            whole = httpx.post(f"{base}/rest/call/export", json={"scope": {}}, headers=headers, timeout=120)
            assert whole.status_code == 200 and whole.content.count(b"\r\n") == ROWS + 1
