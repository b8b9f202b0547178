"""`calldata serve` as a real process on a real TCP port, read by a real HTTP client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from api_helpers import cdr, set_columns, store_rows
from calldata.auth import audit
from servers import served
from sqlalchemy import Engine


@pytest.fixture
def server(store_url: str) -> Iterator[str]:
    """The base URL of `python -m calldata serve` on the test store; the process is stopped after."""
    with served(store_url) as base:
        yield base


def test_a_client_pages_through_the_served_api_over_tcp(server: str, engine: Engine, billing_key: str) -> None:
    ids = store_rows(engine, [cdr(i) for i in range(25)])
    set_columns(engine, ids[3], company="acme", target="globex", is_pick=True)
    seen: list[int] = []
    with httpx.Client(base_url=server, headers={"authorization": f"Bearer {billing_key}"}) as client:
        min_id = 0
        while True:
            # a raw JSON body without any Content-Type, as the oldest billing clients send it
            r = client.post("/rest/call/read", content=json.dumps({"scope": {"minID": min_id, "maxRows": 10}}),
                            headers={"content-type": ""})
            assert r.status_code == 200 and r.headers["content-type"] == "application/json"
            values = r.json()["values"]
            if not values:
                break
            seen += [row["acctid"] for row in values]
            if values[0]["acctid"] <= ids[3] <= values[-1]["acctid"]:
                row = next(v for v in values if v["acctid"] == ids[3])
                assert row["properties"] == {"company": "acme", "target": "globex", "is_pick": True}
            min_id = values[-1]["acctid"] + 1
        bad = client.post("/rest/call/read", content=b'{"scope": {"maxRows": "many"}}')
        unknown = client.post("/rest/nothing/here", content=b"{}")
        health = client.get("/health")
    assert seen == ids
    assert bad.status_code == 400 and bad.json() == {"result": "fail", "message": bad.json()["message"]}
    assert "scope.maxRows" in bad.json()["message"]
    assert unknown.status_code == 404 and unknown.json()["result"] == "fail"
    assert health.json() == {"result": "success", "database": "ok"}


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)  # the address logic is the server's, not the store's
@pytest.mark.parametrize(
    ("trusted", "recorded"),
    [(None, "127.0.0.1"), ("127.0.0.1", "203.0.113.7"), ("10.9.9.9", "127.0.0.1")],
    ids=["no proxy trusted", "the peer is a trusted proxy", "another proxy trusted"],
)
def test_the_client_address_comes_from_a_trusted_proxy_only(
    store_url: str, engine: Engine, trusted: str | None, recorded: str
) -> None:
    env = {"CALLDATA_TRUSTED_PROXIES": trusted} if trusted else {}
    with served(store_url, env) as base:
        r = httpx.post(f"{base}/rest/auth/", headers={"x-forwarded-for": "203.0.113.7"},
                       json={"auth": {"type": "auth", "username": "nobody", "password": "guess"}})
    assert r.status_code == 401
    with engine.connect() as conn:
        [failed] = [e for e in audit.listing(conn, "nobody") if e["event"] == audit.LOGIN_FAILED]
    assert failed["address"] == recorded
