"""`GET /openapi.json`: the API's OpenAPI description, kept as YAML next to this module."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

DESCRIPTION = Path(__file__).with_name("openapi.yaml")


@lru_cache(maxsize=1)
def description() -> dict[str, Any]:
    with DESCRIPTION.open(encoding="utf-8") as stream:
        loaded: dict[str, Any] = yaml.safe_load(stream)
    return loaded


async def openapi(_request: Request) -> Response:
    return JSONResponse(description())
