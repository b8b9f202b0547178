"""GET /openapi.json describes exactly the routes the app serves."""

from __future__ import annotations

import pytest
from starlette.routing import Route

from api_helpers import Connect
from calldata.api.app import create_app
from calldata.config import Settings

pytestmark = pytest.mark.anyio


def test_every_route_of_the_app_is_described() -> None:
    from calldata.api.openapi import description

    app = create_app(Settings(database_url="sqlite://"))
    served = {(r.path, m.lower()) for r in app.routes if isinstance(r, Route) for m in (r.methods or ()) if m != "HEAD"}
    described = {(path, method) for path, item in description()["paths"].items() for method in item}
    assert served == described


async def test_openapi_json_is_served_with_its_components(connect: Connect) -> None:
    async with connect() as client:
        r = await client.get("/openapi.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    refs = {"#/components/schemas/" + name for name in doc["components"]["schemas"]}
    assert "#/components/schemas/ReadResponse" in refs and "#/components/schemas/Row" in refs
    row = doc["components"]["schemas"]["Row"]["properties"]
    assert {name for name, spec in row.items() if spec.get("type") == "integer"} == {"acctid", "duration", "billsec", "amaflags"}
