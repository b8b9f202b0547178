"""GET /openapi.json describes the routes the app serves."""

from __future__ import annotations

import pytest
from starlette.routing import Route

from api_helpers import Connect
from calldata.api.app import create_app
from calldata.api.auth_routes import OWN_PATHS as AUTH_OWN_PATHS
from calldata.api.openapi import base_description, description
from calldata.config import Settings

pytestmark = pytest.mark.anyio
OWN_PATHS = {"/rest/call/read", "/rest/call/read/{type}", "/rest/call/incalls", "/rest/call/outcalls", "/health",
             "/openapi.json", "/rest/call/calls", "/rest/call/export", "/rest/call/list",
             "/rest/call/download/recording", "/rest/queue/stats"}


def routes_of_app() -> list[Route]:
    """The app's API routes (the console's HTML pages say they are not: include_in_schema=False)."""
    app = create_app(Settings(database_url="sqlite://"))
    return [r for r in app.routes if isinstance(r, Route) and r.include_in_schema]


def test_the_yaml_describes_exactly_the_call_data_routes() -> None:
    served = {(r.path, m.lower()) for r in routes_of_app() if r.path in OWN_PATHS for m in r.methods or () if m != "HEAD"}
    described = {(path, method) for path, item in base_description()["paths"].items() for method in item}
    assert served == described


def test_routes_that_describe_themselves_in_docstrings_are_included() -> None:
    routes = routes_of_app()
    doc = description(routes)  # type: ignore[arg-type]
    for route in routes:
        if route.path not in OWN_PATHS and "---" in (route.endpoint.__doc__ or ""):
            assert route.path in doc["paths"], route.path
    assert OWN_PATHS <= set(doc["paths"])


async def test_openapi_json_is_served_with_its_components(connect: Connect) -> None:
    async with connect() as client:
        r = await client.get("/openapi.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    doc = r.json()
    assert doc["openapi"].startswith("3.") and OWN_PATHS <= set(doc["paths"])
    row = doc["components"]["schemas"]["Row"]["properties"]
    assert {name for name, spec in row.items() if spec.get("type") == "integer"} == {"acctid", "duration", "billsec", "amaflags"}
    request = doc["components"]["schemas"]["ReadRequest"]["properties"]["scope"]["properties"]
    assert set(request) == {"minID", "maxRows", "minDate", "maxDate", "queuedata", "cachedata"}


def test_every_route_and_method_the_app_serves_is_described() -> None:
    doc = description(routes_of_app())  # type: ignore[arg-type]
    served = {(r.path, m.lower()) for r in routes_of_app() for m in r.methods or () if m != "HEAD"}
    described = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert served - described == set()  # /metrics too


def test_every_identity_checked_operation_documents_429_and_the_errors_of_any_path() -> None:
    doc = description(routes_of_app())  # type: ignore[arg-type]
    responses = doc["components"]["responses"]
    for name in ("NotFound", "MethodNotAllowed", "TooManyRequests", "RequestTimeout", "Busy"):
        assert responses[name]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Fail"}
    assert "Allow" in responses["MethodNotAllowed"]["headers"]
    checked = [
        (path, operation) for path, item in doc["paths"].items() for operation in item.values()
        if path.startswith("/rest/") and path not in AUTH_OWN_PATHS
    ]
    assert checked
    for path, operation in checked:
        assert operation["responses"]["429"] == {"$ref": "#/components/responses/TooManyRequests"}, path


async def test_404_and_405_answer_the_documented_envelope(connect: Connect) -> None:
    async with connect() as client:
        unknown = await client.get("/no/such/thing")
        wrong_method = await client.put("/health")
    for r, status in ((unknown, 404), (wrong_method, 405)):
        assert r.status_code == status and r.headers["content-type"] == "application/json"
        assert set(r.json()) == {"result", "message"} and r.json()["result"] == "fail"
    assert set(wrong_method.headers["allow"].split(", ")) == {"GET", "HEAD"}
