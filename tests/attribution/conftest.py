"""Fixtures for attribution tests: the example world's directory, compiled."""

from __future__ import annotations

import pytest

from calldata.attribution.directory import load_directory
from calldata.attribution.lookup import Lookup
from stories import DIRECTORY_YAML


@pytest.fixture(scope="session")
def world() -> Lookup:
    return Lookup.build(load_directory(DIRECTORY_YAML), version=1)
