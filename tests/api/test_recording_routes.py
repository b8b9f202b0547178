"""Recordings over HTTP through a real `calldata serve`: the list, the download with Range, who may
hear what, and names that try to leave the recordings directory (docs/recordings.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from api_helpers import issue_key
from calldata.auth import audit
from calldata.auth.permissions import BILLING_CALL_REPORTING, SYSTEM_ADMIN
from calldata.recordings.scan import scan
from recorded_tree import INBOUND, OUTBOUND, SOURCES, recordings_tree
from servers import served
from stored_world import acctid_of, load_world

DATED = f"2026/11/29/{INBOUND}"
LIST = "/rest/call/list"
DOWNLOAD = "/rest/call/download/recording"


@dataclass
class Server:
    """A served store holding the recorded runs and the two recordings, with a client per identity."""

    base: str
    keys: dict[str, str]
    root: Path
    engine: Engine

    def post(self, who: str, path: str, body: object, **headers: str) -> httpx.Response:
        return httpx.post(self.base + path, json=body, headers={"authorization": f"Bearer {self.keys[who]}", **headers})

    def get(self, who: str, path: str, file: str, **headers: str) -> httpx.Response:
        return httpx.get(self.base + path, params={"file": file},
                         headers={"authorization": f"Bearer {self.keys[who]}", **headers})

    def listed(self, who: str, **scope: object) -> list[dict]:
        r = self.post(who, LIST, {"scope": {"type": "recording", **scope}})
        assert r.status_code == 200, r.text
        assert r.json()["result"] == "success"
        return r.json()["values"]


@pytest.fixture
def server(engine: Engine, store_url: str, tmp_path: Path) -> Iterator[Server]:
    load_world(engine)
    root = recordings_tree(tmp_path / "monitor")
    scan(engine, root)
    keys = {"admin": issue_key(engine, "admin", permission=SYSTEM_ADMIN),
            "acme": issue_key(engine, "acme_user", ["acme"], BILLING_CALL_REPORTING),
            "globex": issue_key(engine, "globex_user", ["globex"], BILLING_CALL_REPORTING)}
    with served(store_url, {"CALLDATA_RECORDINGS_DIR": str(root)}) as base:
        yield Server(base, keys, root, engine)


def test_the_list_gives_each_recording_with_its_call_to_those_who_may_read_it(server: Server) -> None:
    # one server for every list check (each start costs seconds)
    values = server.listed("admin")
    assert [v["file"] for v in values] == [OUTBOUND, DATED]
    outbound, inbound = values
    assert outbound == {
        "caller": "201", "callee": "01632960555", "duration": 10, "start": 1795965576, "file": OUTBOUND,
        "size": 160364, "id": outbound["id"], "acctid": acctid_of(server.engine, "1795965576.57")[0],
        "uniqueid": "1795965576.57", "content_type": "audio/wav"}
    assert (inbound["caller"], inbound["callee"], inbound["duration"], inbound["size"]) == ("07700900016", "201", 8, 128364)
    assert server.listed("acme") == values  # acme placed the first call and was called in the second
    assert server.listed("globex") == []
    assert server.post("globex", LIST, {"scope": {"type": "recording", "company": "acme"}}).status_code == 403
    # by time (the leg's start, epoch ms, [minDate, maxDate)) and by pages
    assert [v["file"] for v in server.listed("admin", minDate=1795965590_000)] == [DATED]
    assert [v["file"] for v in server.listed("admin", maxDate=1795965590_000)] == [OUTBOUND]
    r = server.post("admin", LIST, {"scope": {"type": "recording", "maxRows": 1}})
    first = r.json()
    assert (first["numRows"], first["values"][0]["file"]) == (1, OUTBOUND)
    rest = server.listed("admin", minID=first["nextID"])
    assert [v["file"] for v in rest] == [DATED]
    assert server.listed("admin", minID=rest[0]["id"] + 1) == []
    for scope, field in [
        ({}, "scope.type: required"),
        ({"type": "voicemail"}, 'scope.type: unsupported type "voicemail"'),
        ({"type": "recording", "maxRows": 0}, "scope.maxRows"),
        ({"type": "recording", "minDate": 2, "maxDate": 1}, "scope.minDate"),
        ({"type": "recording", "company": "no such!"}, "scope.company"),
        ({"type": "recording", "colour": "red"}, "scope.colour: unknown key"),
    ]:
        r = server.post("admin", LIST, {"scope": scope})
        assert r.status_code == 400 and r.json()["message"].startswith(field), r.text


def test_the_audio_comes_whole_to_those_who_may_hear_it_and_to_no_one_else(server: Server) -> None:
    outbound, inbound = SOURCES[OUTBOUND].read_bytes(), SOURCES[INBOUND].read_bytes()
    for who in ("admin", "acme"):
        r = server.post(who, DOWNLOAD, {"scope": {"file": OUTBOUND}})
        assert r.status_code == 200 and r.content == outbound
        assert r.headers["content-type"] == "audio/wav" and r.headers["accept-ranges"] == "bytes"
        assert server.get(who, DOWNLOAD, file=DATED).content == inbound
    by_call_rec = server.post("acme", DOWNLOAD, {"scope": {"file": INBOUND}})  # as /rest/call/read's call_rec
    assert by_call_rec.status_code == 200 and by_call_rec.content == inbound
    for name in (OUTBOUND, DATED, INBOUND):
        refused = server.post("globex", DOWNLOAD, {"scope": {"file": name}})
        assert refused.status_code == 404 and refused.json()["message"].startswith("scope.file: no recording")
    missing = server.post("admin", DOWNLOAD, {"scope": {"file": "nobody.wav"}})
    assert missing.status_code == 404 and missing.json()["message"].startswith("scope.file: no recording")
    # a range (GET: RFC 9110 defines Range for GET only)
    audio = outbound
    for header, part, content_range in [
        ("bytes=0-99", audio[:100], "bytes 0-99/160364"),
        ("bytes=-100", audio[-100:], "bytes 160264-160363/160364"),
        ("bytes=100-", audio[100:], "bytes 100-160363/160364"),
    ]:
        r = server.get("acme", DOWNLOAD, file=OUTBOUND, range=header)
        assert (r.status_code, r.headers["content-range"], r.content) == (206, content_range, part), header
    unsatisfiable = server.get("acme", DOWNLOAD, file=OUTBOUND, range="bytes=160364-")
    assert (unsatisfiable.status_code, unsatisfiable.headers["content-range"]) == (416, "bytes */160364")
    assert unsatisfiable.json() == {"result": "fail", "message": "Range: not satisfiable, the file has 160364 bytes"}
    for header in ("bytes=abc", "items=0-9", "bytes=9-1"):  # refused in the envelope, like any bad request
        malformed = server.get("acme", DOWNLOAD, file=OUTBOUND, range=header)
        assert malformed.status_code == 400 and malformed.json()["result"] == "fail", (header, malformed.text)
        assert malformed.json()["message"].startswith("Range: "), header
    # a POST gets the whole file
    whole = server.post("acme", DOWNLOAD, {"scope": {"file": OUTBOUND}}, range="bytes=0-99")
    assert (whole.status_code, whole.content) == (200, audio)
    with server.engine.connect() as conn:
        played = {(e["login"], e["detail"]): e["count"]
                  for e in audit.listing(conn) if e["event"] == audit.RECORDING_PLAYED}
    assert played[("acme_user", OUTBOUND)] == 9  # one row for the hour, counted (a refused Range too: asked for)
    assert ("globex_user", OUTBOUND) not in played


def test_names_that_try_to_leave_the_directory_are_refused_and_audited(server: Server, tmp_path: Path) -> None:
    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"RIFF not yours")
    (server.root / "escape.wav").symlink_to(secret)
    for name in ("../etc/passwd", "/etc/passwd", "escape.wav", "%2e%2e/etc/passwd", "2026/../../secret.wav",
                 "..%2fsecret.wav", "%252e%252e/secret.wav"):
        r = server.post("admin", DOWNLOAD, {"scope": {"file": name}})
        assert r.status_code == 400 and r.json()["message"].startswith("scope.file: refused"), (name, r.text)
    for name in ("../etc/passwd", "escape.wav", "x\x00.wav"):
        r = server.get("acme", DOWNLOAD, file=name)
        assert r.status_code == 400 and r.json()["message"].startswith("file: refused"), (name, r.text)
    with server.engine.connect() as conn:
        refused = [e for e in audit.listing(conn) if e["event"] == audit.RECORDING_REFUSED]
    assert {e["login"] for e in refused} == {"admin", "acme_user"}
    assert any("escape.wav" in e["detail"] and "through a link" in e["detail"] for e in refused)
