"""`calldata serve` and `calldata demo` on a port something else holds: one line, before any work.

A real socket listens on the port; the commands run as real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def held_port() -> Iterator[int]:
    """A loopback port another program is listening on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def _calldata(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CALLDATA_")}
    return subprocess.run([sys.executable, "-m", "calldata", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=300)


def test_serve_stops_before_migrating(tmp_path: Path, held_port: int) -> None:
    store = tmp_path / "store.sqlite3"
    done = _calldata(tmp_path, "--database-url", f"sqlite:///{store}", "serve", "--port", str(held_port))
    assert done.returncode == 1
    assert done.stderr == f"calldata: cannot listen on 127.0.0.1:{held_port}: Address already in use\n"
    assert not store.exists()  # no migration ran


def test_demo_stops_before_making_its_store(tmp_path: Path, held_port: int) -> None:
    done = _calldata(tmp_path, "demo", "--rows", "200", "--port", str(held_port))
    assert done.returncode == 1
    assert done.stderr == f"calldata: cannot listen on 127.0.0.1:{held_port}: Address already in use\n"
    assert list(tmp_path.iterdir()) == []  # no store, no generated rows, no credentials


def test_demo_without_serving_does_not_need_the_port(tmp_path: Path, held_port: int) -> None:
    done = _calldata(tmp_path, "demo", "--rows", "50", "--no-serve", "--port", str(held_port))
    assert done.returncode == 0, done.stderr
