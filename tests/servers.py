"""A real `calldata serve` process on a free loopback port, for tests that go over TCP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(store_url: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """The base URL of `python -m calldata serve` on the store, once /health answers; stopped after."""
    with served_process(store_url, env) as (base, _proc):
        yield base


@contextmanager
def served_process(store_url: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`served`, with the server's process too (for tests that watch it)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "calldata", "--database-url", store_url, "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"calldata serve exited with {proc.returncode}:\n{proc.stdout.read() if proc.stdout else ''}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("calldata serve did not answer /health within 30 s")
            time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
