"""A real `calldata serve` process on a free loopback port, for tests that go over TCP."""

from __future__ import annotations

import fcntl
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import httpx
import pytest

_ANSWERED_2XX = re.compile(r'uvicorn\.access: .*" 2\d\d$')
_LOGS: dict[int, IO[str]] = {}  # a running server's output, by its pid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(store_url: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """The base URL of `python -m calldata serve` on the store, once /health answers; stopped after."""
    with serving_process(store_url, env) as (base, _process):
        yield base


@contextmanager
def serving_process(
    store_url: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`served`, with the server's process too (its pid, to read its memory in /proc).

    The server's output goes to a file, not a pipe nobody reads (a full pipe would stall the
    server at its next log line); its end is printed when the server stops, so a failing test
    shows it.
    """
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")
    # the server shares the file's offset: appending, its lines go to the end while `said` reads
    # from the start (else a line written meanwhile lands over earlier ones)
    fcntl.fcntl(log.fileno(), fcntl.F_SETFL, fcntl.fcntl(log.fileno(), fcntl.F_GETFL) | os.O_APPEND)
    proc = subprocess.Popen(
        [sys.executable, "-m", "calldata", "--database-url", store_url, "serve", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    _LOGS[proc.pid] = log
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"calldata serve exited with {proc.returncode}:\n{_tail(log)}")
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
        print(f"calldata serve said (its successful requests left out):\n{_tail(log, quiet=True)}")
        del _LOGS[proc.pid]
        log.close()


def said(proc: subprocess.Popen[str]) -> str:
    """What the running server `proc` has written so far."""
    log = _LOGS[proc.pid]
    log.flush()
    text = _tail(log, lines=10_000)
    log.seek(0, os.SEEK_END)
    return text


def _tail(log: IO[str], lines: int = 200, quiet: bool = False) -> str:
    """The log's last `lines`; `quiet` leaves out the 2xx access lines, so a traceback among
    thousands of requests is still printed."""
    log.seek(0)
    kept = [line for line in log if not (quiet and _ANSWERED_2XX.search(line))]
    return "".join(kept[-lines:])
