"""Settings shared by every command, read from `CALLDATA_*` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DATABASE_URL = "sqlite:///calldata.sqlite3"


class ConfigError(ValueError):
    """A setting calldata cannot use; the message names the variable and what is wrong."""


def _parse(name: str, value: str, default: object) -> object:
    """A variable's text as its setting's type (that of the default)."""
    if isinstance(default, bool):
        return value.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{name}: not a whole number: {value!r}") from None
    return value


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
    audit_retention_days: int = 365  # audit entries last seen longer ago are deleted (0: keep all)
    password_hash_profile: str = "RFC_9106_LOW_MEMORY"  # an argon2-cffi profile name
    password_cache_seconds: int = 60  # a password verified this recently skips argon2 (0: never)
    token_pepper: str = field(default="", repr=False)
    # addresses (or networks) of reverse proxies whose X-Forwarded-For/-Proto are believed
    trusted_proxies: str = ""
    # reading the next page ahead (calldata.api.prefetch; docs/api.md): how long a page is kept,
    # and the bytes held for all clients and for one identity (0: no reading ahead)
    prefetch_seconds: int = 2
    prefetch_max_bytes: int = 64 * 1024 * 1024
    prefetch_max_bytes_per_identity: int = 16 * 1024 * 1024
    # slow and surplus clients (calldata.api.connections; docs/deployment.md)
    header_timeout_seconds: int = 10  # a request's headers must all arrive within this
    body_timeout_seconds: int = 30  # and its body within this after the headers
    max_connections: int = 500  # open connections beyond this are answered 503 and closed

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the variables give: each field from CALLDATA_<FIELD NAME>, read as its
        default's type; ConfigError names a variable it cannot use."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for setting in fields(cls):
            name = f"CALLDATA_{setting.name.upper()}"
            if name in env:
                values[setting.name] = _parse(name, env[name], setting.default)
        settings = cls(**values)  # type: ignore[arg-type]
        try:
            ZoneInfo(settings.display_tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"CALLDATA_DISPLAY_TZ: unknown time zone {settings.display_tz!r}"
                " (give an IANA name such as Europe/Berlin)"
            ) from None
        return settings

    def with_overrides(self, **values: object) -> Settings:
        """Apply the flags a user actually gave (None means "not given")."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.display_tz)
