"""Throwaway PostgreSQL databases, for the test suite and the benchmarks: created, used, dropped.

Also a throwaway primary with a hot standby (`streaming_pair`), made the way an operator makes
one: initdb, pg_basebackup -R (standby.signal and primary_conninfo), a second server on another
port. The servers run as the `postgres` user when we are root (PostgreSQL refuses root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import create_engine, make_url, text

BIN = Path("/usr/lib/postgresql/15/bin")  # Debian's server programs; else they are looked up on PATH


@contextmanager
def scratch_database(admin_url: str, prefix: str, *, keep: bool = False) -> Iterator[str]:
    """A new, empty database on the server `admin_url` names; yields its URL (psycopg driver).

    Dropped afterwards (connections still open to it are closed) unless `keep`.
    """
    admin = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin.set(database=name).render_as_string(hide_password=False)
        finally:
            if not keep:
                with engine.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


class Pair(NamedTuple):
    """The primary's and the standby's URLs."""

    primary: str
    replica: str


def _tool(name: str) -> str:
    found = BIN / name if (BIN / name).exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name}: PostgreSQL's server programs are needed for a scratch standby")
    return str(found)


def _run(*args: str) -> None:
    """Run a PostgreSQL program, as `postgres` when we are root; its output shown if it fails."""
    command = ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}")


def _settings(data: Path, port: int, sockets: Path) -> None:
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{sockets}'\n"
            "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n"
            "shared_buffers = 32MB\n"
        )


def _url(port: int) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def streaming_pair() -> Iterator[Pair]:
    """A running primary and a hot standby streaming from it; both stopped and removed after."""
    root = Path(tempfile.mkdtemp(prefix="calldata-standby-"))
    root.chmod(0o755)
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    primary, standby = root / "primary", root / "standby"
    ports = _free_port(), _free_port()
    while ports[1] == ports[0]:
        ports = ports[0], _free_port()
    started: list[Path] = []
    try:
        _run(_tool("initdb"), "-D", str(primary), "-U", "postgres", "-A", "trust", "--no-sync")
        _settings(primary, ports[0], root)
        _run(_tool("pg_ctl"), "-D", str(primary), "-l", str(root / "primary.log"), "-w", "-t", "60", "start")
        started.append(primary)
        _run(_tool("pg_basebackup"), "-h", "127.0.0.1", "-p", str(ports[0]), "-U", "postgres",
             "-D", str(standby), "-R", "-X", "stream", "-c", "fast", "--no-sync")
        _settings(standby, ports[1], root)
        _run(_tool("pg_ctl"), "-D", str(standby), "-l", str(root / "standby.log"), "-w", "-t", "60", "start")
        started.append(standby)
        yield Pair(_url(ports[0]), _url(ports[1]))
    finally:
        for data in reversed(started):
            with suppress(RuntimeError):
                _run(_tool("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def replay(replica: str, *, paused: bool) -> None:
    """Pause or resume the standby's replay of the primary's WAL (the lag a busy standby has)."""
    engine = create_engine(_psycopg(replica), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"SELECT pg_wal_replay_{'pause' if paused else 'resume'}()"))
    engine.dispose()


def caught_up(pair: Pair, timeout: float = 30.0) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    primary, replica = create_engine(_psycopg(pair.primary)), create_engine(_psycopg(pair.replica))
    try:
        with primary.connect() as conn:
            target = conn.execute(text("SELECT pg_current_wal_lsn()")).scalar()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with replica.connect() as conn:
                if conn.execute(text("SELECT pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)"), {"t": target}).scalar():
                    return
            time.sleep(0.05)
        raise RuntimeError(f"the standby did not catch up within {timeout} s")
    finally:
        primary.dispose()
        replica.dispose()


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)
