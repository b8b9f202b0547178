"""Settings from CALLDATA_* variables: each one read, and a value calldata cannot use named at start."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calldata.cli import app
from calldata.config import ConfigError, Rule, Settings


def test_every_setting_is_read_from_its_variable(tmp_path: Path) -> None:
    defaults = Settings()
    changed = {
        field.name: (not value if isinstance(value, bool) else value + 1 if isinstance(value, int) else "x")
        for field in dataclasses.fields(Settings)
        for value in [getattr(defaults, field.name)]
    }
    changed.update(display_tz="Asia/Kolkata", password_hash_profile="CHEAPEST", trusted_proxies="10.0.0.0/8",
                   read_database_url="postgresql://replica/calldata", recordings_dir=str(tmp_path))
    environ = {f"CALLDATA_{name.upper()}": "true" if value is True else str(value) for name, value in changed.items()}
    assert dataclasses.asdict(Settings.from_env(environ)) == changed


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CALLDATA_DISPLAY_TZ", "Mars/Olympus", "CALLDATA_DISPLAY_TZ: unknown time zone 'Mars/Olympus'"),
        ("CALLDATA_DISPLAY_TZ", "../etc/passwd", "CALLDATA_DISPLAY_TZ: unknown time zone"),
        ("CALLDATA_MAX_ROWS_CAP", "lots", "CALLDATA_MAX_ROWS_CAP: not a whole number: 'lots'"),
        ("CALLDATA_SESSION_IDLE_SECONDS", "1.5", "CALLDATA_SESSION_IDLE_SECONDS: not a whole number"),
        ("CALLDATA_MAX_ROWS_CAP", "-5", "CALLDATA_MAX_ROWS_CAP: must be at least 1, not -5"),
        ("CALLDATA_MAX_ROWS_CAP", "0", "CALLDATA_MAX_ROWS_CAP: must be at least 1, not 0"),
        ("CALLDATA_PASSWORD_HASH_PROFILE", "NOPE", "CALLDATA_PASSWORD_HASH_PROFILE: unknown argon2 profile 'NOPE'"),
        ("CALLDATA_COOKIE_SECURE", "yess", "CALLDATA_COOKIE_SECURE: not true or false: 'yess'"),
        ("CALLDATA_COOKIE_SECURE", "", "CALLDATA_COOKIE_SECURE: not true or false: ''"),
        ("CALLDATA_READ_DATABASE_URL", "sqlite:///r.db", "CALLDATA_READ_DATABASE_URL: a read replica is a PostgreSQL"),
        ("CALLDATA_TRUSTED_PROXIES", "notanip", "CALLDATA_TRUSTED_PROXIES: not an IP address or network: 'notanip'"),
        ("CALLDATA_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.300", "CALLDATA_TRUSTED_PROXIES: not an IP address or network: '10.0.0.300'"),
        ("CALLDATA_SESSION_IDLE_SECONDS", "-1", "CALLDATA_SESSION_IDLE_SECONDS: must be at least 60, not -1"),
        ("CALLDATA_SESSION_IDLE_SECONDS", "59", "CALLDATA_SESSION_IDLE_SECONDS: must be at least 60, not 59"),
        ("CALLDATA_LOGIN_FAILURES_PER_LOGIN", "-3", "CALLDATA_LOGIN_FAILURES_PER_LOGIN: must be at least 1"),
        ("CALLDATA_LOGIN_FAILURES_PER_ADDRESS", "0", "CALLDATA_LOGIN_FAILURES_PER_ADDRESS: must be at least 1"),
        ("CALLDATA_LOGIN_FAILURE_WINDOW_SECONDS", "-900", "CALLDATA_LOGIN_FAILURE_WINDOW_SECONDS: must be at least 1"),
        ("CALLDATA_PASSWORD_CACHE_SECONDS", "-1", "CALLDATA_PASSWORD_CACHE_SECONDS: must be at least 0, not -1"),
        ("CALLDATA_PORT", "0", "CALLDATA_PORT: must be at least 1, not 0"),
        ("CALLDATA_PORT", "70000", "CALLDATA_PORT: must be at most 65535, not 70000"),
        ("CALLDATA_UPKEEP_SECONDS", "-1", "CALLDATA_UPKEEP_SECONDS: must be at least 0, not -1"),
        ("CALLDATA_UPKEEP_SECONDS", "86401", "CALLDATA_UPKEEP_SECONDS: must be at most 86400, not 86401"),
        ("CALLDATA_UPKEEP_SECONDS", "5m", "CALLDATA_UPKEEP_SECONDS: not a whole number: '5m'"),
        ("CALLDATA_RECORDINGS_DIR", "/no/such/folder", "CALLDATA_RECORDINGS_DIR: not a directory: '/no/such/folder'"),
    ],
)
def test_an_unusable_value_is_named(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        Settings.from_env({variable: value})


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        *(("CALLDATA_COOKIE_SECURE", text, True) for text in ("true", "TRUE", "1", "yes", "On")),
        *(("CALLDATA_COOKIE_SECURE", text, False) for text in ("false", "0", "no", "off", "Off")),
        ("CALLDATA_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16,::1", "10.0.0.1, 192.168.0.0/16,::1"),
        ("CALLDATA_SESSION_IDLE_SECONDS", "60", 60),
        ("CALLDATA_PASSWORD_CACHE_SECONDS", "0", 0),
        ("CALLDATA_PORT", "65535", 65535),
        ("CALLDATA_UPKEEP_SECONDS", "0", 0),
    ],
)
def test_a_usable_value_is_taken(variable: str, value: str, expected: object) -> None:
    name = variable.removeprefix("CALLDATA_").lower()
    assert getattr(Settings.from_env({variable: value}), name) == expected


def test_a_flag_is_held_to_the_same_rules() -> None:
    with pytest.raises(ConfigError, match="CALLDATA_PORT: must be at most 65535, not 70000"):
        Settings().with_overrides(port=70000)


def test_every_number_declares_its_lower_bound() -> None:
    """A new whole-number setting says next to it what it may be (setting(default, minimum=...))."""
    unbounded = [f.name for f in dataclasses.fields(Settings)
                 if isinstance(f.default, int) and not isinstance(f.default, bool) and Rule.of(f).minimum is None]
    assert unbounded == []


def test_the_command_says_which_variable_is_wrong_in_one_line() -> None:
    result = CliRunner().invoke(app, ["db", "upgrade"], env={"CALLDATA_DISPLAY_TZ": "Mars/Olympus"})
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "calldata: CALLDATA_DISPLAY_TZ: unknown time zone 'Mars/Olympus' (give an IANA name such as Europe/Berlin)"
    ]
