"""README "Using it for real": the command it gives to put `calldata` on PATH works as written."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import calldata as package
from cli_support import REPO, environment


def _section(title: str) -> str:
    text = (REPO / "README.md").read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_the_readmes_path_command_puts_calldata_on_path(tmp_path: Path) -> None:
    section = _section("Using it for real")
    [export] = re.findall(r"`(export PATH=[^`]+)`", section)
    assert (REPO / ".venv" / "bin" / "calldata").exists(), "run scripts/install first (the README's step)"
    env = environment({"PATH": "/usr/bin:/bin"})  # no calldata on it before the README's command
    env.pop("VIRTUAL_ENV", None)
    before = subprocess.run(["bash", "-c", "command -v calldata"], env=env, capture_output=True, text=True)
    assert before.returncode != 0
    # typed in the checkout, as the README says; then used from anywhere
    done = subprocess.run(["bash", "-c", f'{export} && cd "$1" && calldata --version', "bash", str(tmp_path)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"calldata {package.__version__}\n"
