"""Fixtures for the Call Data API tests: an app on the fresh test store and a client on it."""

from __future__ import annotations

from typing import Any

import pytest

from sqlalchemy import Engine

import calldata.auth.schema  # noqa: F401  (the auth tables join `metadata`, so stores are emptied)
from api_helpers import Connect, issue_key, serving
from calldata.api.app import create_app
from calldata.auth.permissions import SYSTEM_ADMIN
from calldata.config import Settings



@pytest.fixture
def billing_key(engine: Engine) -> str:
    """The API key of a billing client allowed to read every row."""
    return issue_key(engine)


@pytest.fixture
def admin_key(engine: Engine) -> str:
    """The API key of a System-Admin: past identity on every route, the admin-only ones too."""
    return issue_key(engine, "admin", permission=SYSTEM_ADMIN)


@pytest.fixture
def connect(store_url: str, billing_key: str) -> Connect:
    """connect(**settings) -> an async context giving a billing client on a fresh app over the store."""

    def make(**overrides: Any) -> Any:
        settings = Settings(database_url=store_url, password_hash_profile="CHEAPEST", **overrides)
        return serving(create_app(settings), billing_key)

    return make
