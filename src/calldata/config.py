"""Settings shared by every command, read from `CALLDATA_*` environment variables.

Each setting declares its own constraints next to it (`setting(default, minimum=..., check=...)`);
a Settings that breaks one is never made, so a bad value stops a command at start, named.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import Parameters, profiles

DEFAULT_DATABASE_URL = "sqlite:///calldata.sqlite3"

# A session's last use is written at most this often, so a shorter idle time would end sessions in use.
SESSION_TOUCH_SECONDS = 60

_BOOLEANS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


class ConfigError(ValueError):
    """A setting calldata cannot use; the message names the variable and what is wrong."""


@dataclass(frozen=True, slots=True)
class Rule:
    """What a setting's value must satisfy: bounds for numbers, a check returning a problem or None."""

    minimum: int | None = None
    maximum: int | None = None
    check: Callable[[Any], str | None] | None = None

    def problem(self, value: object) -> str | None:
        """Why `value` breaks the rule (None when it does not)."""
        if isinstance(value, int) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                return f"must be at least {self.minimum}, not {value}"
            if self.maximum is not None and value > self.maximum:
                return f"must be at most {self.maximum}, not {value}"
        return self.check(value) if self.check else None

    @classmethod
    def of(cls, setting_field: Field[Any]) -> Rule:
        """The rule a Settings field declares (none: anything of its type)."""
        return setting_field.metadata.get("rule") or cls()


def setting(default: Any, *, minimum: int | None = None, maximum: int | None = None,
            check: Callable[[Any], str | None] | None = None, secret: bool = False) -> Any:
    """A Settings field with its constraints beside it (`secret`: kept out of repr)."""
    return field(default=default, repr=not secret, metadata={"rule": Rule(minimum, maximum, check)})


def variable(name: str) -> str:
    """The environment variable a setting is read from."""
    return f"CALLDATA_{name.upper()}"


def _time_zone(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r} (give an IANA name such as Europe/Berlin)"
    return None


def _argon2_profile(name: str) -> str | None:
    if isinstance(getattr(profiles, name, None), Parameters):
        return None
    known = ", ".join(n for n in dir(profiles) if isinstance(getattr(profiles, n), Parameters))
    return f"unknown argon2 profile {name!r} (one of {known})"


def _networks(text: str) -> str | None:
    for item in filter(None, (part.strip() for part in text.split(","))):
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            return f"not an IP address or network: {item!r} (give addresses or networks, comma-separated)"
    return None


def _replica_url(url: str) -> str | None:
    if url and url.split("://", 1)[0].split("+", 1)[0] not in ("postgresql", "postgres"):
        return "a read replica is a PostgreSQL streaming replica: give postgresql://user:password@host/database"
    return None


def _directory(path: str) -> str | None:
    if path and not os.path.isdir(path):
        return f"not a directory: {path!r} (give the folder MixMonitor writes to, or leave it unset)"
    return None


def _parse(name: str, value: str, default: object) -> object:
    """A variable's text as its setting's type (that of the default)."""
    if isinstance(default, bool):
        if value.strip().lower() not in _BOOLEANS:
            raise ConfigError(f"{name}: not true or false: {value!r} (give true/false, 1/0, yes/no or on/off)")
        return _BOOLEANS[value.strip().lower()]
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
    # a PostgreSQL hot standby of database_url that page reads, calls, exports and reports go to
    # ("": the primary; docs/deployment.md, Read replicas)
    read_database_url: str = setting("", check=_replica_url, secret=True)
    display_tz: str = setting("UTC", check=_time_zone)
    max_rows_cap: int = setting(10_000, minimum=1)
    host: str = "127.0.0.1"
    port: int = setting(8080, minimum=1, maximum=65535)
    # identity and sessions (calldata.auth; docs/auth.md)
    session_idle_seconds: int = setting(1800, minimum=SESSION_TOUCH_SECONDS)
    cookie_secure: bool = False  # Secure cookie even when the request did not arrive over https
    login_failures_per_login: int = setting(5, minimum=1)
    login_failures_per_address: int = setting(20, minimum=1)
    login_failure_window_seconds: int = setting(900, minimum=1)
    audit_retention_days: int = setting(365, minimum=0)  # audit entries last seen longer ago are deleted (0: keep all)
    password_hash_profile: str = setting("RFC_9106_LOW_MEMORY", check=_argon2_profile)
    password_cache_seconds: int = setting(60, minimum=0)  # a password verified this recently skips argon2 (0: never)
    token_pepper: str = setting("", secret=True)
    # API keys' owners and grants kept in memory while the store announces no change to them
    # (PostgreSQL: calldata.auth.key_cache; docs/auth.md); false: looked up on every request
    key_cache: bool = setting(True)
    # addresses (or networks) of reverse proxies whose X-Forwarded-For/-Proto are believed
    trusted_proxies: str = setting("", check=_networks)
    # reading the next page ahead (calldata.api.prefetch; docs/api.md): how long a page is kept,
    # and the bytes held for all clients and for one identity (0: no reading ahead)
    prefetch_seconds: int = setting(2, minimum=0)
    prefetch_max_bytes: int = setting(64 * 1024 * 1024, minimum=0)
    prefetch_max_bytes_per_identity: int = setting(16 * 1024 * 1024, minimum=0)
    # slow and surplus clients (calldata.api.connections; docs/deployment.md)
    header_timeout_seconds: int = setting(10, minimum=1)  # a request's headers must all arrive within this
    body_timeout_seconds: int = setting(30, minimum=1)  # and its body within this after the headers
    max_connections: int = setting(500, minimum=1)  # open connections beyond this are answered 503 and closed
    # how often the live ingester logs each source's progress
    ingest_progress_seconds: int = setting(60, minimum=1)
    # where MixMonitor writes recordings (calldata.recordings; docs/recordings.md); "" for none
    recordings_dir: str = setting("", check=_directory)
    # how often `calldata serve` does its upkeep (calldata.api.upkeep: the dashboards' recent closed
    # days, the reports' day tables and the coverage days built ahead of their first visitor;
    # docs/deployment.md, Upkeep); 0: never (cron instead)
    upkeep_seconds: int = setting(300, minimum=0, maximum=86_400)
    # acctids per range partition of cdr on PostgreSQL (calldata.store.partitions; docs/retention.md)
    partition_rows: int = setting(1_000_000, minimum=1000)

    def __post_init__(self) -> None:
        """Every Settings is usable: a value breaking its field's rule raises ConfigError naming it."""
        for f in fields(self):
            if (problem := Rule.of(f).problem(getattr(self, f.name))) is not None:
                raise ConfigError(f"{variable(f.name)}: {problem}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the variables give: each field from CALLDATA_<FIELD NAME>, read as its
        default's type; ConfigError names a variable it cannot use."""
        env = os.environ if environ is None else environ
        values = {f.name: _parse(variable(f.name), env[variable(f.name)], f.default)
                  for f in fields(cls) if variable(f.name) in env}
        return cls(**values)

    def with_overrides(self, **values: object) -> Settings:
        """Apply the flags a user actually gave (None means "not given")."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    def check_replica(self) -> None:
        """A read replica is only for a PostgreSQL primary (checked where one is used: the URL
        may still be overridden by a flag after the environment is read)."""
        if self.read_database_url and not self.database_url.startswith("postgres"):
            raise ConfigError(f"{variable('read_database_url')}: a read replica needs a PostgreSQL primary"
                              f" ({variable('database_url')} is not one)")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.display_tz)
