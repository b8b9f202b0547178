"""`GET /openapi.json`: the API's OpenAPI description.

The Call Data endpoints and the shared components are kept as YAML next to this module; any
other route may describe itself with YAML after `---` in its endpoint's docstring (Starlette's
SchemaGenerator collects those), so each part of the API documents its own routes.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from collections.abc import Callable
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.schemas import SchemaGenerator

DESCRIPTION = Path(__file__).with_name("openapi.yaml")


class DocstringSchemas(SchemaGenerator):
    """Only the YAML after `---` is a description; a plain docstring (or one that is not YAML) is not."""

    def parse_docstring(self, func_or_method: Callable[..., Any]) -> dict[str, Any]:
        docstring = func_or_method.__doc__ or ""
        if "---" not in docstring:
            return {}
        try:
            parsed = yaml.safe_load(docstring.split("---")[-1])
        except yaml.YAMLError:
            return {}
        return parsed if isinstance(parsed, dict) else {}


@lru_cache(maxsize=1)
def base_description() -> dict[str, Any]:
    with DESCRIPTION.open(encoding="utf-8") as stream:
        loaded: dict[str, Any] = yaml.safe_load(stream)
    return loaded


def description(routes: list[BaseRoute]) -> dict[str, Any]:
    """The YAML description plus what the routes' docstrings say about themselves."""
    base = base_description()
    generated = DocstringSchemas({k: v for k, v in base.items() if k != "paths"}).get_schema(routes)
    paths = {path: dict(item) for path, item in base["paths"].items()}
    for path, item in generated.get("paths", {}).items():
        paths.setdefault(path, {}).update({m: op for m, op in item.items() if m not in paths.get(path, {})})
    return {**generated, "paths": paths}


async def openapi(request: Request) -> Response:
    return JSONResponse(description(request.app.routes))
