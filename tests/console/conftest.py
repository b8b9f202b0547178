"""The console's browser tests: a real `calldata serve` on the recorded runs (SQLite and PostgreSQL),
driven by Debian's Chromium through Playwright (scripts/install test installs it).

Screenshots go to a temporary folder, or to CALLDATA_SCREENSHOTS when set (scripts/screenshots
sets it to docs/screenshots).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from calldata.auth import users
from calldata.auth.permissions import BILLING_CALL_SUMMARY, SYSTEM_ADMIN
from calldata.recordings.scan import scan
from console_helpers import ADMIN, ADMIN_PASSWORD, CHROMIUM, SCOPED, SCOPED_COMPANY, SCOPED_PASSWORD, Site
from rated_world import load_rated_world
from recorded_tree import recordings_tree
from servers import served


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium, for one test module: Playwright's sync API keeps an event loop running in this
    thread while it is open, which would break the asyncio tests of other folders run after."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: run scripts/install test")
        pytest.skip(f"{CHROMIUM} is missing: run scripts/install test")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


@pytest.fixture
def site(engine: Engine, store_url: str, tmp_path: Path) -> Iterator[Site]:
    """The recorded runs, rated (the demo's decks), with two recordings scanned, an admin and a
    Globex-only billing user, served."""
    world = load_rated_world(engine)
    with world.begin() as conn:
        users.add_user(conn, ADMIN, ADMIN_PASSWORD, name="Ada Admin", profile="CHEAPEST", actor="test")
        users.grant(conn, ADMIN, SYSTEM_ADMIN, actor="test")
        users.add_user(conn, SCOPED, SCOPED_PASSWORD, name="Globex billing", profile="CHEAPEST", actor="test")
        users.grant(conn, SCOPED, BILLING_CALL_SUMMARY, [SCOPED_COMPANY], actor="test")
    root = recordings_tree(tmp_path / "recordings")
    scan(world, root)
    shots = Path(os.environ.get("CALLDATA_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    env = {"CALLDATA_PASSWORD_HASH_PROFILE": "CHEAPEST", "CALLDATA_RECORDINGS_DIR": str(root)}
    with served(store_url, env) as base:
        yield Site(base, world, shots)
