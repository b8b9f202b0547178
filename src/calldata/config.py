"""Settings shared by every command, read from `CALLDATA_*` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
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

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("CALLDATA_DATABASE_URL", DEFAULT_DATABASE_URL),
            display_tz=env.get("CALLDATA_DISPLAY_TZ", "UTC"),
            max_rows_cap=int(env.get("CALLDATA_MAX_ROWS_CAP", "10000")),
            host=env.get("CALLDATA_HOST", "127.0.0.1"),
            port=int(env.get("CALLDATA_PORT", "8080")),
        )

    def with_overrides(self, **values: object) -> Settings:
        """Apply the flags a user actually gave (None means "not given")."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.display_tz)
