"""Running `calldata` as a user does: a real process, with only the CALLDATA_* variables a test gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its CALLDATA_* variables, plus `env`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("CALLDATA_")}, **(env or {})}


def calldata(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
             stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m calldata ARGS`, finished (within a minute), its output captured."""
    return subprocess.run([sys.executable, "-m", "calldata", *args], cwd=cwd, env=environment(env),
                          input=stdin, capture_output=True, text=True, timeout=60)
