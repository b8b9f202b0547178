"""A clone of the repository with nothing beside it collects and runs its tests.

The development checkout has other folders beside it; a user's clone does not. This clones the
committed repository into an empty temporary folder and runs the test collection there, and
the tests that read the recorded data, so a test that reaches outside the repository fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# how a path out of the repository into its neighbour folder would be written
OUTSIDE = re.compile(r"\.\./shared|[^a-z_]shared/(world|spec|asterisk)|parents?(\[[0-9]\])? */ *.shared.")
CHECKED = ("src", "tests", "docs", "scripts", "bench", "README.md", "CONTRIBUTING.md")
DATA_TESTS = (
    "tests/attribution/test_attribution_stories.py",
    "tests/ingest_csv/test_csv_import.py",
    "tests/demo/test_demo_cdr_csv.py",
)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.fail("the fresh-clone test needs git and a git checkout")
    target = tmp_path_factory.mktemp("empty") / "calldata"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(target)], check=True)
    assert sorted(p.name for p in target.parent.iterdir()) == ["calldata"]
    return target


def _pytest(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["PYTHONPATH"] = str(clone / "src")  # the clone's code, not the checkout's
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=clone, env=env, capture_output=True, text=True, timeout=600,
    )


def test_collection_in_an_empty_folder(clone: Path) -> None:
    result = _pytest(clone, "--collect-only", "-q")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    collected = re.search(r"(\d+) tests? collected", result.stdout)
    assert collected and int(collected.group(1)) > 500, result.stdout[-500:]
    assert "error" not in result.stdout.lower().splitlines()[-1]


def test_data_reading_tests_pass_in_an_empty_folder(clone: Path) -> None:
    result = _pytest(clone, "-q", "-x", "-k", "not postgresql", *DATA_TESTS)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"\d+ passed", result.stdout), result.stdout[-500:]


def test_nothing_reaches_outside_the_repository(clone: Path) -> None:
    offenders = []
    for name in CHECKED:
        root = clone / name
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in files:
            if path.suffix in {".py", ".md", ".yaml", ".yml", ".toml", ".cfg", ".txt", ""}:
                text = path.read_text(errors="replace")
                offenders += [f"{path.relative_to(clone)}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert offenders == []
