"""The PostgreSQL server the tests create their databases on (CALLDATA_TEST_POSTGRES_URL)."""

from __future__ import annotations

import os

import pytest


def admin_url() -> str:
    """Its URL; without one the test is skipped, or fails under CI (where PostgreSQL must be tested)."""
    url = os.environ.get("CALLDATA_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CALLDATA_TEST_POSTGRES_URL is not set: PostgreSQL tests cannot run in CI")
        pytest.skip("CALLDATA_TEST_POSTGRES_URL is not set")
    return url
