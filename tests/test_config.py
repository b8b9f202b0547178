"""Settings from CALLDATA_* variables: each one read, and a value calldata cannot use named at start."""

from __future__ import annotations

import dataclasses

import pytest
from typer.testing import CliRunner

from calldata.cli import app
from calldata.config import ConfigError, Settings


def test_every_setting_is_read_from_its_variable() -> None:
    defaults = Settings()
    changed = {
        field.name: (not value if isinstance(value, bool) else value + 1 if isinstance(value, int) else "x")
        for field in dataclasses.fields(Settings)
        for value in [getattr(defaults, field.name)]
    }
    changed["display_tz"] = "Asia/Kolkata"
    environ = {f"CALLDATA_{name.upper()}": "true" if value is True else str(value) for name, value in changed.items()}
    assert dataclasses.asdict(Settings.from_env(environ)) == changed


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CALLDATA_DISPLAY_TZ", "Mars/Olympus", "CALLDATA_DISPLAY_TZ: unknown time zone 'Mars/Olympus'"),
        ("CALLDATA_DISPLAY_TZ", "../etc/passwd", "CALLDATA_DISPLAY_TZ: unknown time zone"),
        ("CALLDATA_MAX_ROWS_CAP", "lots", "CALLDATA_MAX_ROWS_CAP: not a whole number: 'lots'"),
        ("CALLDATA_SESSION_IDLE_SECONDS", "1.5", "CALLDATA_SESSION_IDLE_SECONDS: not a whole number"),
    ],
)
def test_an_unusable_value_is_named(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        Settings.from_env({variable: value})


def test_the_command_says_which_variable_is_wrong_in_one_line() -> None:
    result = CliRunner().invoke(app, ["db", "upgrade"], env={"CALLDATA_DISPLAY_TZ": "Mars/Olympus"})
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "calldata: CALLDATA_DISPLAY_TZ: unknown time zone 'Mars/Olympus' (give an IANA name such as Europe/Berlin)"
    ]
