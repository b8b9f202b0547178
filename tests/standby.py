"""A scratch PostgreSQL primary and its hot standby, for the read-replica tests.

Made the way an operator makes one: initdb, pg_basebackup -R (standby.signal and
primary_conninfo), a second server on another port. The servers run as the `postgres` user when
the tests run as root (PostgreSQL refuses root), and are stopped and deleted afterwards.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import create_engine, text

from servers import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


class Pair(NamedTuple):
    """The primary's and the standby's URLs."""

    primary: str
    replica: str


def _tool(name: str) -> str:
    found = BIN / name if (BIN / name).exists() else shutil.which(name)
    assert found, f"{name}: PostgreSQL's server programs are needed for the read-replica tests"
    return str(found)


def _run(*args: str) -> None:
    """Run a PostgreSQL program, as `postgres` when we are root; its output shown if it fails."""
    command = ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"


def _settings(data: Path, port: int, sockets: Path) -> None:
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{sockets}'\n"
            "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n"
            "shared_buffers = 32MB\n"
        )


def url(port: int) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


@contextmanager
def streaming_pair() -> Iterator[Pair]:
    """A running primary and a hot standby streaming from it; both stopped and removed after."""
    root = Path(tempfile.mkdtemp(prefix="calldata-standby-"))
    root.chmod(0o755)
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    primary, standby = root / "primary", root / "standby"
    ports = free_port(), free_port()
    while ports[1] == ports[0]:
        ports = ports[0], free_port()
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
        yield Pair(url(ports[0]), url(ports[1]))
    finally:
        for data in reversed(started):
            with suppress(AssertionError):
                _run(_tool("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def replay(replica: str, *, paused: bool) -> None:
    """Pause or resume the standby's replay of the primary's WAL (the lag a busy standby has)."""
    engine = create_engine(replica.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"SELECT pg_wal_replay_{'pause' if paused else 'resume'}()"))
    engine.dispose()


def caught_up(pair: Pair, timeout: float = 30.0) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    primary = create_engine(pair.primary.replace("postgresql://", "postgresql+psycopg://"))
    replica = create_engine(pair.replica.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with primary.connect() as conn:
            target = conn.execute(text("SELECT pg_current_wal_lsn()")).scalar()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with replica.connect() as conn:
                if conn.execute(text("SELECT pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)"), {"t": target}).scalar():
                    return
            time.sleep(0.05)
        raise AssertionError(f"the standby did not catch up within {timeout} s")
    finally:
        primary.dispose()
        replica.dispose()
