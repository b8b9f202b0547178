"""`calldata demo` run again and again on one store: the same accounts, the same working
credentials, exactly one valid demo key. Real processes, a real server, real HTTP."""

from __future__ import annotations

import os
import shlex
import sqlite3
import stat
import subprocess
import time
from pathlib import Path

import httpx
from demo_support import REPO
from servers import free_port

PYTHON = REPO / ".venv" / "bin" / "python"


def _environ() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("CALLDATA_")}, "PYTHONUNBUFFERED": "1"}


def _demo(cwd: Path) -> list[str]:
    done = subprocess.run([str(PYTHON), "-m", "calldata", "demo", "--rows", "300", "--no-serve"], cwd=cwd,
                          env=_environ(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _credentials(lines: list[str]) -> tuple[str, str, str]:
    """(admin password, billing password, API key) as printed."""
    admin = next(line.split()[4] for line in lines if line.startswith("admin login:"))
    billing = next(line.split()[4] for line in lines if line.startswith("billing login:"))
    key = next(line.split()[-1] for line in lines if line.startswith("admin API key:"))
    return admin, billing, key


def _valid_keys(database: Path) -> list[int]:
    with sqlite3.connect(database) as conn:
        return [r[0] for r in conn.execute(
            "SELECT k.id FROM auth_key k JOIN auth_user u ON u.id = k.user_id "
            "WHERE u.login = 'admin' AND k.revoked_at IS NULL AND NOT u.disabled")]


def _run_curl(line: str) -> httpx.Response:
    """What the printed curl command does, over HTTP (the server may still be starting)."""
    command = shlex.split(line.strip())
    assert command[:2] == ["curl", "-s"]
    headers = dict(command[i + 1].split(": ", 1) for i, arg in enumerate(command) if arg == "-H")
    body, url = command[command.index("-d") + 1], command[-1]
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.post(url, headers=headers, content=body, timeout=10)
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.2)


def test_runs_again_print_the_same_working_credentials_and_one_key(tmp_path: Path) -> None:
    database = tmp_path / "calldata-demo.sqlite3"
    kept = tmp_path / "calldata-demo.sqlite3.credentials"
    first = _credentials(_demo(tmp_path))
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert _credentials(_demo(tmp_path)) == first
    assert len(_valid_keys(database)) == 1

    port = free_port()  # the third run serves, and what it prints works as printed
    process = subprocess.Popen([str(PYTHON), "-m", "calldata", "demo", "--rows", "300", "--port", str(port)],
                               cwd=tmp_path, env=_environ(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    try:
        assert process.stdout is not None
        printed: list[str] = []
        for line in process.stdout:
            printed.append(line.rstrip("\n"))
            if line.startswith("Serving"):
                break
        assert _credentials(printed) == first
        curls = [line for line in printed if line.strip().startswith("curl")]
        assert len(curls) == 2
        for curl in curls:
            answer = _run_curl(curl)
            assert answer.status_code == 200, answer.text
            assert answer.json()["numRows"] == 5
        admin = httpx.post(f"http://127.0.0.1:{port}/rest/call/read", timeout=10, json={
            "auth": {"type": "auth", "username": "admin", "password": first[0]}, "scope": {"maxRows": 1}})
        assert admin.status_code == 200, admin.text
    finally:
        process.terminate()
        process.wait(30)
    assert len(_valid_keys(database)) == 1

    kept.unlink()  # lost: new credentials, and the old key no longer works
    fresh = _credentials(_demo(tmp_path))
    assert all(new != old for new, old in zip(fresh, first, strict=True))
    valid = _valid_keys(database)
    assert len(valid) == 1
    with sqlite3.connect(database) as conn:
        prefix = conn.execute("SELECT prefix FROM auth_key WHERE id = ?", valid).fetchone()[0]
    assert fresh[2].startswith(prefix) and not first[2].startswith(prefix)
