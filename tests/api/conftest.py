"""Fixtures for the Call Data API tests: an app on the fresh test store and a client on it."""

from __future__ import annotations

from typing import Any

import pytest

from api_helpers import Connect, serving
from calldata.api.app import create_app
from calldata.config import Settings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def connect(store_url: str) -> Connect:
    """connect(**settings) -> an async context giving a client on a fresh app over the test store."""

    def make(**overrides: Any) -> Any:
        return serving(create_app(Settings(database_url=store_url, **overrides)))

    return make
