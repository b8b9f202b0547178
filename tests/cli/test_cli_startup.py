"""`calldata` imports a subcommand's modules only when that subcommand is looked up: `--version`
and `export --help` start without SQLAlchemy, Alembic or the API (they cost ~0.8 s), while
`--help` still lists every subcommand and each one still resolves to its module."""

from __future__ import annotations

import subprocess
import sys

import typer.main

from calldata.cli import COMMANDS, app
from cli_support import calldata, environment

HEAVY = {"sqlalchemy", "alembic", "psycopg", "starlette", "uvicorn", "calldata.api", "calldata.store.engine"}


# `python -m calldata ARGS` that writes, as it exits, every module it has imported (sys.modules:
# -X importtime does not see modules loaded through importlib.import_module).
LISTING = """
import atexit, runpy, sys
atexit.register(lambda: sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)) + "\\n"))
sys.argv = ["calldata", *sys.argv[1:]]
runpy.run_module("calldata", run_name="__main__")
"""


def imported(*args: str) -> set[str]:
    """The modules `calldata ARGS` has imported when it exits (with 0)."""
    done = subprocess.run([sys.executable, "-c", LISTING, *args], env=environment(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    listing = done.stderr.rpartition("\nMODULES ")[2]
    assert listing, done.stderr[-2000:]
    return set(listing.split())


def test_version_and_a_commands_help_import_no_store_or_api() -> None:
    for args in (["--version"], ["export", "--help"]):
        modules = imported(*args)
        assert "typer" in modules and "calldata.cli.lazy" in modules  # the listing is of this run's imports
        assert not HEAVY & modules, (args, sorted(HEAVY & modules))


def test_running_a_command_imports_its_module_only() -> None:
    modules = imported("export", "--help")
    assert "calldata.cli.export" in modules
    others = {f"calldata.cli.{spec.partition(':')[0]}" for spec in COMMANDS.values()} - {"calldata.cli.export"}
    assert not others & modules, sorted(others & modules)


def test_help_lists_every_command_and_each_resolves() -> None:
    shown = calldata("--help", env={"COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    for name in COMMANDS:
        command = root.commands[name]
        assert command.name == name and command.help, name
        assert f" {name} " in shown.stdout, name
    assert list(root.commands) == list(COMMANDS)
    assert root.commands.get("no-such-command") is None
