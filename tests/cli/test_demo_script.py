"""`scripts/demo` as the README tells a newcomer to run it: no PostgreSQL, no MariaDB, no settings."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from cli_support import REPO, environment
from servers import free_port

TOOLS = ("bash", "dirname", "grep", "python3")  # all scripts/demo and scripts/install call


@pytest.mark.slow
def test_scripts_demo_needs_no_database_server(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    for server_tool in ("psql", "pg_ctl", "postgres", "mysql", "mariadb", "mysqld"):
        assert shutil.which(server_tool, path=str(bin_dir)) is None
    nowhere = f"127.0.0.1:{free_port()}"
    env = environment({
        "PATH": str(bin_dir),
        "CALLDATA_TEST_POSTGRES_URL": f"postgresql://nobody@{nowhere}/nothing",
        "PGHOST": "127.0.0.1", "PGPORT": nowhere.split(":")[1],
        "MYSQL_HOST": "127.0.0.1", "MYSQL_TCP_PORT": nowhere.split(":")[1],
    })
    env.pop("VIRTUAL_ENV", None)
    store = tmp_path / "demo.sqlite3"
    done = subprocess.run([str(REPO / "scripts" / "demo"), "--no-serve", "--rows", "200",
                           "--database-url", f"sqlite:///{store}"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "/rest/call/read" in done.stdout
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT count(*) FROM cdr").fetchone()[0] >= 200
