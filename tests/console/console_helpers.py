"""What the console's browser tests share: the served site, its users, logging in through the form."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page
from sqlalchemy import Engine

CHROMIUM = Path("/usr/bin/chromium")
ADMIN, ADMIN_PASSWORD = "admin", "admin-password-1"
SCOPED, SCOPED_PASSWORD, SCOPED_COMPANY = "globexbilling", "globex-password-1", "globex"


@dataclass(frozen=True)
class Site:
    """A served console: its base URL, the store behind it, where screenshots go."""

    base: str
    engine: Engine
    shots: Path

    def shot(self, page: Page, name: str, *, whole: bool = False) -> None:
        """The page as shown in the window (`whole`: down to its end) to `name`.png."""
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=whole)


def log_in(page: Page, site: Site, login: str, password: str) -> None:
    """Through the login form, as a person would: the call list must follow."""
    page.goto(f"{site.base}/calls")
    assert "/login" in page.url
    page.get_by_label("User name").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site.base}/calls")


def follow(page: Page, target: Locator) -> None:
    """Click what leads to another page, and wait until that page has loaded: a click alone does
    not wait, and on a loaded machine the next read would find the page before it."""
    with page.expect_navigation():
        target.click()
