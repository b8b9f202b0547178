"""Fixtures for identity tests: settings with a cheap argon2 profile, and users in a real store."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

import calldata.auth.schema  # noqa: F401  (the auth tables join `metadata`, so stores are emptied)
from calldata.auth import users
from calldata.auth.authenticate import Authenticator
from calldata.config import Settings

from auth_helpers import PASSWORD


@pytest.fixture
def settings(store_url: str) -> Settings:
    return Settings(database_url=store_url, password_hash_profile="CHEAPEST")


@pytest.fixture
def authenticator(engine: Engine, settings: Settings) -> Authenticator:
    return Authenticator(engine, settings)


AddUser = Callable[..., int]


@pytest.fixture
def add_user(engine: Engine, settings: Settings) -> AddUser:
    """add_user(login, {permission: [scopes...]}, home=..., password=...) -> user id."""

    def add(login: str, perms: dict[str, list[str]] | None = None, *, home: str = "",
            password: str = PASSWORD) -> int:
        with engine.begin() as conn:
            user_id = users.add_user(conn, login, password, name=login.title(), home=home,
                                     profile=settings.password_hash_profile, actor="test")
            for permission, scopes in (perms or {}).items():
                users.grant(conn, login, permission, [s for s in scopes if s != "yes"], actor="test")
        return user_id

    return add
