"""A setting calldata cannot use stops the command before it does anything, in one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import calldata
from servers import free_port


@pytest.mark.parametrize(
    ("env", "args", "line"),
    [
        ({"CALLDATA_PORT": "70000"}, [], "calldata: CALLDATA_PORT: must be at most 65535, not 70000"),
        ({}, ["--port", "0"], "calldata: CALLDATA_PORT: must be at least 1, not 0"),
        ({"CALLDATA_COOKIE_SECURE": "yess"}, [], "calldata: CALLDATA_COOKIE_SECURE: not true or false: 'yess'"),
        ({"CALLDATA_TRUSTED_PROXIES": "notanip"}, [], "calldata: CALLDATA_TRUSTED_PROXIES: not an IP address or network"),
        ({"CALLDATA_MAX_ROWS_CAP": "-5"}, [], "calldata: CALLDATA_MAX_ROWS_CAP: must be at least 1, not -5"),
        ({"CALLDATA_PASSWORD_HASH_PROFILE": "NOPE"}, [], "calldata: CALLDATA_PASSWORD_HASH_PROFILE: unknown argon2 profile 'NOPE'"),
        ({"CALLDATA_SESSION_IDLE_SECONDS": "30"}, [], "calldata: CALLDATA_SESSION_IDLE_SECONDS: must be at least 60, not 30"),
    ],
    ids=["port variable", "port flag", "boolean", "proxies", "rows cap", "hash profile", "idle time"],
)
def test_serve_refuses_a_bad_setting_in_one_line(env: dict[str, str], args: list[str], line: str, tmp_path: Path) -> None:
    store = tmp_path / "calldata.sqlite3"
    port = [] if "--port" in args or "CALLDATA_PORT" in env else ["--port", str(free_port())]
    done = calldata("serve", *port, *args, env={"CALLDATA_DATABASE_URL": f"sqlite:///{store}", **env})
    assert done.returncode == 2
    [said] = done.stderr.splitlines()
    assert said.startswith(line)
    assert not store.exists()  # nothing changed
