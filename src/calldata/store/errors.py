"""Why the store cannot be used, kept apart from engine.py so the CLI's root can catch these
without importing SQLAlchemy and Alembic at start-up (`calldata --version` needs neither)."""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot be used; the one-line message names its URL (password hidden) and why."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"store {url}: {problem}")


class StoreUnreachable(StoreError):
    """The store's server did not let us in (down, refused, no such database): worth waiting out."""
