"""Bodies no client should send: each is a 400 `fail` naming the field, on every route that reads
a body, never a 500 (or a database error for a NUL in a string)."""

from __future__ import annotations

import pytest

from api_helpers import serving
from calldata.api.app import create_app
from calldata.config import Settings
from test_request_rules import assert_fail

pytestmark = pytest.mark.anyio

ROUTES = ["/rest/call/read", "/rest/attribution/report", "/rest/auth/"]
DEEP = b"[" * 1000 + b"]" * 1000

HOSTILE = [
    (DEEP, "body"),
    (b'{"scope": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1001, "body"),
    (b'{"scope": {"minID": "\xff\xfe"}}', "body"),
    (b'{"auth": {"username": "caf\xc3"}}', "body"),
    (b'{"scope": {"minID": "1\\u0000"}}', "scope.minID"),
    (b'{"scope": {"min\\u0000ID": 1}}', "scope.min\x00ID"),
    (b'{"auth": {"type": "auth", "username": "admin\\u0000", "password": "x"}}', "auth.username"),
    (b'{"scope": {"minID": 1e400}}', "scope.minID"),
    (b'{"scope": {"minDate": -1e400}}', "scope.minDate"),
    (b'{"scope": {"minID": [1, 1e999]}}', "scope.minID[1]"),
    (b'{"scope": {"minID": ' + b"9" * 5000 + b"}}", "body"),  # past Python's int() limit: no field to name
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("raw", "field"), HOSTILE, ids=[
    "array 1000 deep", "object 1000 deep", "invalid UTF-8 in a value", "truncated UTF-8",
    "NUL in a value", "NUL in a key", "NUL in a login name", "1e400", "-1e400", "1e999 in an array",
    "5000 digits",
])
async def test_a_hostile_body_is_a_400_naming_the_field(
    store_url: str, admin_key: str, route: str, raw: bytes, field: str
) -> None:
    app = create_app(Settings(database_url=store_url, password_hash_profile="CHEAPEST"))
    async with serving(app, admin_key) as client:
        r = await client.post(route, content=raw)
    assert_fail(r, 400, f"{field}:")


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("/rest/call/read", {"scope": {"minID": 2**70}}, "scope.minID"),
        ("/rest/call/read", {"scope": {"maxDate": str(2**70)}}, "scope.maxDate"),
        ("/rest/call/read", {"scope": {"minID": "9" * 5000}}, "scope.minID"),
        ("/rest/attribution/report", {"since": 2**70}, "since"),
        ("/rest/attribution/report", {"until": str(2**70)}, "until"),
        ("/rest/attribution/report", {"until": 253_402_300_800_000}, "until"),  # 10000-01-01
        ("/rest/attribution/report", {"since": "0001-01-01T00:00:00+01:00"}, "since"),  # before year 1 in UTC
        ("/rest/attribution/report", {"top": 2**70}, "top"),
        ("/rest/attribution/report", {"top": "\u00b2"}, "top"),  # "2" superscript: str.isdigit(), not int()
    ],
)
async def test_an_overflowing_number_is_a_400_naming_the_field(
    store_url: str, admin_key: str, route: str, body: dict[str, object], field: str
) -> None:
    async with serving(create_app(Settings(database_url=store_url)), admin_key) as client:
        r = await client.post(route, json=body)
    assert_fail(r, 400, f"{field}:")
