"""The rated world for dashboards: the recorded runs attributed, every outside leg priced."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from rated_world import load_rated_world


@pytest.fixture
def rated_world(engine: Engine) -> Engine:
    """The `world` with the demo's decks named and every leg rated (tests/rated_world.py)."""
    return load_rated_world(engine)
