"""A client that leaves mid-export: `calldata serve` (a real subprocess) stops reading for it, its
query ends on the database (PostgreSQL: no COPY left running), its connection goes back to the
pool whole (no error logged), and the next export is whole."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import Engine, text

from api.api_helpers import issue_key
from export.test_export_memory import fill
from servers import said, serving_process

ROWS = 60_000  # ~20 MB of CSV: more than the socket buffers hold, so the server is still reading


def running_exports(engine: Engine) -> int:
    """Queries of the export still running on PostgreSQL (other connections than this one)."""
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE 'COPY (SELECT page.acctid%'"
        )).scalar_one()


def no_export_for(engine: Engine, seconds: float, within: float) -> bool:
    """Whether no export query ran for `seconds` in a row before `within` ran out.

    One reading of zero is not enough: the server may be between two batches, not yet aware
    that the client left, and start the next COPY a moment later.
    """
    deadline = time.monotonic() + within
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        if running_exports(engine):
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= seconds:
            return True
        time.sleep(0.05)
    return False


def test_a_client_gone_mid_export_leaves_the_server_whole(store_url: str, engine: Engine) -> None:
    fill(engine, ROWS)
    key = issue_key(engine)
    headers = {"authorization": f"Bearer {key}"}
    with serving_process(store_url) as (base, proc):
        with httpx.stream("POST", f"{base}/rest/call/export", json={"scope": {}}, headers=headers,
                          timeout=60) as answer:
            assert answer.status_code == 200
            first = next(answer.iter_bytes())
        assert first.startswith(b"acctid,")  # the answer was closed after its first bytes
        if engine.dialect.name == "postgresql":
            assert no_export_for(engine, seconds=2.0, within=30.0)
        for _ in range(3):  # more than one connection of the pool: none is left mid-COPY
            whole = httpx.post(f"{base}/rest/call/export", json={"scope": {}}, headers=headers, timeout=120)
            assert whole.status_code == 200 and whole.content.count(b"\r\n") == ROWS + 1
        log = said(proc)
        assert "Traceback" not in log and "closing connection" not in log, log  # no connection dropped
