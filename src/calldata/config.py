"""Settings shared by every command, read from `CALLDATA_*` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

DEFAULT_DATABASE_URL = "sqlite:///calldata.sqlite3"


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
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("CALLDATA_DATABASE_URL", DEFAULT_DATABASE_URL),
            display_tz=env.get("CALLDATA_DISPLAY_TZ", "UTC"),
            max_rows_cap=int(env.get("CALLDATA_MAX_ROWS_CAP", "10000")),
            host=env.get("CALLDATA_HOST", "127.0.0.1"),
            port=int(env.get("CALLDATA_PORT", "8080")),
            session_idle_seconds=int(env.get("CALLDATA_SESSION_IDLE_SECONDS", "1800")),
            cookie_secure=env.get("CALLDATA_COOKIE_SECURE", "").lower() in ("1", "true", "yes", "on"),
            login_failures_per_login=int(env.get("CALLDATA_LOGIN_FAILURES_PER_LOGIN", "5")),
            login_failures_per_address=int(env.get("CALLDATA_LOGIN_FAILURES_PER_ADDRESS", "20")),
            login_failure_window_seconds=int(env.get("CALLDATA_LOGIN_FAILURE_WINDOW_SECONDS", "900")),
            password_hash_profile=env.get("CALLDATA_PASSWORD_HASH_PROFILE", "RFC_9106_LOW_MEMORY"),
            password_cache_seconds=int(env.get("CALLDATA_PASSWORD_CACHE_SECONDS", "60")),
            token_pepper=env.get("CALLDATA_TOKEN_PEPPER", ""),
            trusted_proxies=env.get("CALLDATA_TRUSTED_PROXIES", ""),
        )

    def with_overrides(self, **values: object) -> Settings:
        """Apply the flags a user actually gave (None means "not given")."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.display_tz)
