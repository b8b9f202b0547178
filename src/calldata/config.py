"""Settings shared by every command, read from `CALLDATA_*` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DATABASE_URL = "sqlite:///calldata.sqlite3"


class ConfigError(ValueError):
    """A setting calldata cannot use; the message names the variable and what is wrong."""


@dataclass(frozen=True, slots=True)
class Settings:
    """One place for configuration; CLI flags override the environment via `with_overrides`."""

    database_url: str = DEFAULT_DATABASE_URL
    display_tz: str = "UTC"
    max_rows_cap: int = 10_000
    host: str = "127.0.0.1"
    port: int = 8080
    # identity and sessions (calldata.auth; docs/auth.md)
    session_idle_seconds: int = 1800
    cookie_secure: bool = False  # Secure cookie even when the request did not arrive over https
    login_failures_per_login: int = 5
    login_failures_per_address: int = 20
    login_failure_window_seconds: int = 900
    password_hash_profile: str = "RFC_9106_LOW_MEMORY"  # an argon2-cffi profile name
    password_cache_seconds: int = 60  # a password verified this recently skips argon2 (0: never)
    token_pepper: str = field(default="", repr=False)
    # addresses (or networks) of reverse proxies whose X-Forwarded-For/-Proto are believed
    trusted_proxies: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the CALLDATA_* variables give; ConfigError names a variable it cannot use."""
        env = os.environ if environ is None else environ

        def text(name: str, default: str) -> str:
            return env.get(f"CALLDATA_{name}", default)

        def number(name: str, default: int) -> int:
            value = text(name, str(default))
            try:
                return int(value)
            except ValueError:
                raise ConfigError(f"CALLDATA_{name}: not a whole number: {value!r}") from None

        display_tz = text("DISPLAY_TZ", "UTC")
        try:
            ZoneInfo(display_tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"CALLDATA_DISPLAY_TZ: unknown time zone {display_tz!r} (give an IANA name such as Europe/Berlin)"
            ) from None
        return cls(
            database_url=text("DATABASE_URL", DEFAULT_DATABASE_URL),
            display_tz=display_tz,
            max_rows_cap=number("MAX_ROWS_CAP", 10_000),
            host=text("HOST", "127.0.0.1"),
            port=number("PORT", 8080),
            session_idle_seconds=number("SESSION_IDLE_SECONDS", 1800),
            cookie_secure=text("COOKIE_SECURE", "").lower() in ("1", "true", "yes", "on"),
            login_failures_per_login=number("LOGIN_FAILURES_PER_LOGIN", 5),
            login_failures_per_address=number("LOGIN_FAILURES_PER_ADDRESS", 20),
            login_failure_window_seconds=number("LOGIN_FAILURE_WINDOW_SECONDS", 900),
            password_hash_profile=text("PASSWORD_HASH_PROFILE", "RFC_9106_LOW_MEMORY"),
            password_cache_seconds=number("PASSWORD_CACHE_SECONDS", 60),
            token_pepper=text("TOKEN_PEPPER", ""),
            trusted_proxies=text("TRUSTED_PROXIES", ""),
        )

    def with_overrides(self, **values: object) -> Settings:
        """Apply the flags a user actually gave (None means "not given")."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.display_tz)
