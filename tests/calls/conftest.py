"""Fixtures of the call tests: a store holding the recorded runs, attributed (as the report tests use)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

import calldata.auth.schema  # noqa: F401  (the auth tables join `metadata`, so stores are emptied)
from reports.report_world import load_world


@pytest.fixture
def world(engine: Engine) -> Engine:
    """The store with the recorded runs attributed by the example directory."""
    load_world(engine)
    return engine


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
