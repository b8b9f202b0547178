"""`calldata generate --out FILE` never overwrites a file it was not told to: a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _generate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "calldata", "generate", "--rows", "20", "--out", "cdr.csv", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "500"})


def test_an_existing_file_is_kept_unless_forced(tmp_path: Path) -> None:
    kept = tmp_path / "cdr.csv"
    kept.write_text("an operator's own file\n")
    refused = _generate(tmp_path)
    assert refused.returncode == 1
    assert refused.stderr == "cannot write cdr.csv: File exists (--force overwrites it)\n"
    assert kept.read_text() == "an operator's own file\n"
    forced = _generate(tmp_path, "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(kept.read_text().splitlines()) == 20


def test_a_directory_that_can_make_no_call_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "pbx.yaml").write_text("companies:\n  a:\n    name: A\n")  # valid, but nobody to call
    refused = _generate(tmp_path, "--directory", "pbx.yaml")
    assert refused.returncode == 1 and not (tmp_path / "cdr.csv").exists()
    assert refused.stderr == "pbx.yaml: no company with users, DDIs or trunks to make calls with; nothing was done\n"
