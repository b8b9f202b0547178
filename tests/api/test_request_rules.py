"""call-read.md, Request and Errors: what the endpoint accepts, and the `fail` it answers otherwise."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from api_helpers import Connect, cdr, serving, store_rows
from calldata.api.app import create_app
from calldata.config import Settings

pytestmark = pytest.mark.anyio


def assert_fail(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"result", "message"} and body["result"] == "fail"
    for word in words:
        assert word in body["message"], (word, body["message"])


async def test_empty_body_means_defaults(connect: Connect) -> None:
    async with connect() as client:
        r = await client.post("/rest/call/read", content=b"")
    assert r.status_code == 200
    assert r.json() == {"result": "success", "minID": None, "maxRows": 500, "numRows": 0, "numrows": 0, "values": []}


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/json"])
async def test_body_is_json_whatever_the_content_type(connect: Connect, engine: Any, content_type: str | None) -> None:
    ids = store_rows(engine, [cdr(i) for i in range(3)])
    headers = {"content-type": content_type} if content_type else {}
    async with connect() as client:
        r = await client.post("/rest/call/read", content=json.dumps({"scope": {"minID": ids[1]}}), headers=headers)
    assert r.status_code == 200
    assert [row["acctid"] for row in r.json()["values"]] == ids[1:]


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"{not json", ("body", "JSON")),
        (b"[1, 2]", ("body", "object")),
        (b'"cdr"', ("body", "object")),
        (b"\xff\xfe", ("body",)),
        (b'{"type": "queue"}', ("type", '"queue"')),
        (b'{"type": 1}', ("type",)),
        (b'{"scope": [1]}', ("scope", "object")),
        (b'{"scope": "minID=1"}', ("scope", "object")),
    ],
)
async def test_bad_bodies_fail_naming_the_field(connect: Connect, raw: bytes, words: tuple[str, ...]) -> None:
    async with connect() as client:
        r = await client.post("/rest/call/read", content=raw)
    assert_fail(r, 400, *words)


async def test_type_may_sit_in_the_path(connect: Connect, engine: Any) -> None:
    ids = store_rows(engine, [cdr(1)])
    async with connect() as client:
        ok = await client.post("/rest/call/read/cdr", content=b"{}")
        typed = await client.post("/rest/call/read", json={"type": "cdr"})
        bad = await client.post("/rest/call/read/queue", content=b"{}")
    assert [row["acctid"] for row in ok.json()["values"]] == ids
    assert typed.json()["values"] == ok.json()["values"]
    assert_fail(bad, 400, "type", "queue")


@pytest.mark.parametrize(
    ("scope", "key"),
    [
        ({"minID": -1}, "minID"),
        ({"minID": "-1"}, "minID"),
        ({"minID": "12a"}, "minID"),
        ({"minID": ""}, "minID"),
        ({"minID": 1.5}, "minID"),
        ({"minID": True}, "minID"),
        ({"minID": [1]}, "minID"),
        ({"minID": {"gt": 1}}, "minID"),
        ({"minID": 2**64}, "minID"),
        ({"maxRows": 0}, "maxRows"),
        ({"maxRows": "0"}, "maxRows"),
        ({"maxRows": -5}, "maxRows"),
        ({"maxRows": False}, "maxRows"),
        ({"minDate": -1}, "minDate"),
        ({"minDate": "yesterday"}, "minDate"),
        ({"maxDate": "2016-03-22"}, "maxDate"),
        ({"maxDate": 10**20}, "maxDate"),
        ({"minDate": 2000, "maxDate": 1000}, "minDate"),
        ({"cachedata": "yes"}, "cachedata"),
        ({"cachedata": 1}, "cachedata"),
        ({"queuedata": "false"}, "queuedata"),
        ({"minid": 1}, "minid"),
        ({"limit": 10}, "limit"),
    ],
)
async def test_bad_scope_fails_naming_the_key(connect: Connect, scope: dict[str, Any], key: str) -> None:
    async with connect() as client:
        r = await client.post("/rest/call/read", json={"scope": scope})
    assert_fail(r, 400, f"scope.{key}")


async def test_integers_may_be_numeric_strings(connect: Connect, engine: Any) -> None:
    ids = store_rows(engine, [cdr(i) for i in range(5)])
    async with connect() as client:
        as_text = await client.post("/rest/call/read", json={"scope": {"minID": str(ids[1]), "maxRows": "2"}})
        as_number = await client.post("/rest/call/read", json={"scope": {"minID": ids[1], "maxRows": 2}})
    assert as_text.status_code == 200
    assert as_text.json() == as_number.json()
    assert as_text.json()["minID"] == ids[1] and as_text.json()["maxRows"] == 2
    assert [row["acctid"] for row in as_text.json()["values"]] == ids[1:3]


async def test_null_scope_members_mean_absent(connect: Connect, engine: Any) -> None:
    ids = store_rows(engine, [cdr(i) for i in range(2)])
    async with connect() as client:
        r = await client.post("/rest/call/read", json={"scope": {"minID": None, "maxRows": None, "cachedata": None}})
    assert r.json()["minID"] is None and r.json()["maxRows"] == 500
    assert [row["acctid"] for row in r.json()["values"]] == ids


async def test_queuedata_adds_the_queue_member(connect: Connect, engine: Any) -> None:
    store_rows(engine, [cdr(0)])
    async with connect() as client:
        queued = await client.post("/rest/call/read", json={"scope": {"queuedata": True}})
        plain = await client.post("/rest/call/read", json={"scope": {"queuedata": False}})
    assert queued.status_code == plain.status_code == 200
    assert queued.json()["values"][0]["queue"] == [] and "queue" not in plain.json()["values"][0]


async def test_unknown_commands_and_methods_answer_the_envelope(connect: Connect) -> None:
    async with connect() as client:
        unknown = await client.post("/rest/call/write", content=b"{}")
        deeper = await client.post("/rest/call/read/cdr/extra", content=b"{}")
        wrong_method = await client.get("/rest/call/read")
    assert_fail(unknown, 404, "/rest/call/write")
    assert_fail(deeper, 404, "/rest/call/read/cdr/extra")
    assert_fail(wrong_method, 405, "GET /rest/call/read")


async def test_an_unexpected_error_is_a_500_envelope_without_a_trace(
    connect: Connect, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_read(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk on fire at /var/lib/secret")

    monkeypatch.setattr("calldata.store.reads.page_statement", broken_read)
    async with connect() as client:
        r = await client.post("/rest/call/read", content=b"{}")
    assert_fail(r, 500, "internal error")
    assert "Traceback" not in r.text and "disk on fire" not in r.text
    logged = [record for record in caplog.records if record.name == "calldata.api" and record.exc_info]
    assert logged and "disk on fire" in str(logged[0].exc_info[1])


async def test_health_answers_503_when_the_database_is_unreachable(tmp_path: Any) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'missing' / 'calldata.sqlite3'}"))
    before = set(threading.enumerate())
    async with serving(app) as client:
        health = await client.get("/health")
    assert_fail(health, 503, "database")
    # aiosqlite stops the worker thread of a failed connect from that thread; let it finish
    # while this test's event loop still runs (else it reports "Event loop is closed" later).
    for thread in set(threading.enumerate()) - before:
        if "_connection_worker_thread" in thread.name:
            thread.join(timeout=5)


async def test_health_answers_ok_on_a_reachable_store(connect: Connect) -> None:
    async with connect() as client:
        health = await client.get("/health")
    assert health.status_code == 200 and health.json() == {"result": "success", "database": "ok"}
