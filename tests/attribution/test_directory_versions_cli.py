"""`calldata directory load|rollback|history|show|export` as an operator runs them: a real subprocess.

A file that is no directory is refused in one line, an empty directory only with --force, the
same text twice is one version, and a rollback stores the old text again as a new version.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from calldata.attribution.schema import directory_version
from calldata.ingest.sink import store_batch
from calldata.store.schema import cdr
from stories import DIRECTORY_YAML, STORIES, read_master_csv

WORLD = DIRECTORY_YAML.read_text()
# The world with Globex renamed Initech: its rows change company once reprocessed.
RENAMED = WORLD.replace("\n  globex:\n", "\n  initech:\n").replace("company: globex", "company: initech")


def calldata(store_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "calldata", "--database-url", store_url, *args],
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "500"})


def _versions(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(directory_version.c.id, directory_version.c.yaml)
                                               .order_by(directory_version.c.id))]  # type: ignore[misc]


def _companies(engine: Engine) -> dict[str | None, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(cdr.c.company, func.count()).group_by(cdr.c.company)).all())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x7fELF\x02\x01\x01\x00" + bytes(range(128, 256)), "not a text file"),
        ("companies:\n  caf\u00e9: {name: Caf\u00e9}\n".encode("latin-1"), "not UTF-8"),
        (b"companies:\n  acme: {name: [\n", "not valid YAML"),
        (b"acme,201,Alice\n", "must be a mapping"),
        (b"system: {}\ncompanies:\n  acme: {name: A}\n\x01\n", "not a text file"),
    ],
    ids=["binary", "latin-1", "broken-yaml", "csv", "control-character"],
)
def test_a_file_that_is_no_directory_is_refused_in_one_line(
    store_url: str, engine: Engine, tmp_path: Path, content: bytes, words: str
) -> None:
    bad = tmp_path / "directory.yaml"
    bad.write_bytes(content)
    done = calldata(store_url, "directory", "load", str(bad))
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"{bad}:") and words in done.stderr and "nothing was loaded" in done.stderr
    assert _versions(engine) == []


@pytest.mark.skipif(not Path("/bin/ls").exists(), reason="no /bin/ls")
def test_a_program_given_by_mistake_is_refused_in_one_line(store_url: str, engine: Engine) -> None:
    done = calldata(store_url, "directory", "load", "/bin/ls")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("/bin/ls:1: not a text file") and len(done.stderr.splitlines()) == 1


def test_a_directory_without_companies_is_refused_unless_forced(
    store_url: str, engine: Engine, tmp_path: Path
) -> None:
    assert calldata(store_url, "directory", "load", str(DIRECTORY_YAML)).returncode == 0
    with engine.begin() as conn:
        store_batch(conn, read_master_csv(STORIES / "all" / "Master.csv"))
    attributed = _companies(engine)
    assert None not in attributed
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    done = calldata(store_url, "directory", "load", str(empty))
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert "no companies" in done.stderr and "--force" in done.stderr
    assert calldata(store_url, "reprocess").returncode == 0
    assert _companies(engine) == attributed  # the refused file changed nothing
    forced = calldata(store_url, "directory", "load", str(empty), "--force")
    assert forced.returncode == 0 and "directory version 2 loaded" in forced.stdout
    assert len(_versions(engine)) == 2


def test_loading_the_current_directory_again_stores_no_version(store_url: str, engine: Engine) -> None:
    assert calldata(store_url, "directory", "load", str(DIRECTORY_YAML)).returncode == 0
    again = calldata(store_url, "directory", "load", str(DIRECTORY_YAML))
    assert again.returncode == 0
    assert "identical to the current directory version 1" in again.stdout and "nothing loaded" in again.stdout
    assert _versions(engine) == [(1, WORLD)]


def test_rollback_stores_the_old_text_as_a_new_current_version(
    store_url: str, engine: Engine, tmp_path: Path
) -> None:
    changed = tmp_path / "changed.yaml"
    changed.write_text(RENAMED)
    assert calldata(store_url, "directory", "load", str(DIRECTORY_YAML)).returncode == 0
    with engine.begin() as conn:
        store_batch(conn, read_master_csv(STORIES / "all" / "Master.csv"))
    before = _companies(engine)
    assert calldata(store_url, "directory", "load", str(changed)).returncode == 0
    assert calldata(store_url, "reprocess").returncode == 0
    assert _companies(engine) != before

    back = calldata(store_url, "directory", "rollback")
    assert back.returncode == 0 and "directory version 3 is the rollback to version 1" in back.stdout
    assert calldata(store_url, "directory", "export").stdout == WORLD
    assert calldata(store_url, "reprocess").returncode == 0
    assert _companies(engine) == before
    with engine.connect() as conn:
        assert set(conn.execute(select(cdr.c.directory_version).distinct()).scalars()) == {3}

    assert calldata(store_url, "directory", "rollback").returncode == 0  # twice: back to the change
    assert calldata(store_url, "directory", "rollback", "1").returncode == 0
    same = calldata(store_url, "directory", "rollback", "3")
    assert same.returncode == 0 and "identical to the current directory version 5" in same.stdout
    assert _versions(engine) == [(1, WORLD), (2, RENAMED), (3, WORLD), (4, RENAMED), (5, WORLD)]
    listed = calldata(store_url, "directory", "history").stdout
    assert all(f"rollback to version {n}" in listed for n in (1, 2)) and str(changed) in listed

    missing = calldata(store_url, "directory", "rollback", "99")
    assert missing.returncode == 1 and len(missing.stderr.splitlines()) == 1
    assert "no directory version 99" in missing.stderr
    assert len(_versions(engine)) == 5


def test_rollback_with_nothing_to_roll_back_to(store_url: str, engine: Engine) -> None:
    nothing = calldata(store_url, "directory", "rollback")
    assert nothing.returncode == 1 and "no directory loaded yet" in nothing.stderr
    assert calldata(store_url, "directory", "load", str(DIRECTORY_YAML)).returncode == 0
    first = calldata(store_url, "directory", "rollback")
    assert first.returncode == 1 and len(first.stderr.splitlines()) == 1
    assert _versions(engine) == [(1, WORLD)]


def test_rollback_to_a_version_without_companies_needs_force(
    store_url: str, engine: Engine, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("companies: {}\n")
    assert calldata(store_url, "directory", "load", str(empty), "--force").returncode == 0
    assert calldata(store_url, "directory", "load", str(DIRECTORY_YAML)).returncode == 0
    refused = calldata(store_url, "directory", "rollback")
    assert refused.returncode == 1 and len(refused.stderr.splitlines()) == 1
    assert refused.stderr.startswith("directory version 1:1: no companies") and "--force" in refused.stderr
    assert len(_versions(engine)) == 2
    assert calldata(store_url, "directory", "rollback", "--force").returncode == 0
    assert _versions(engine)[-1] == (3, "companies: {}\n")


def test_show_and_export_a_given_version(store_url: str, tmp_path: Path) -> None:
    changed = tmp_path / "changed.yaml"
    changed.write_text(RENAMED)
    assert calldata(store_url, "directory", "load", str(DIRECTORY_YAML)).returncode == 0
    assert calldata(store_url, "directory", "load", str(changed)).returncode == 0
    assert calldata(store_url, "directory", "export", "--version", "1").stdout == WORLD
    assert calldata(store_url, "directory", "export").stdout == RENAMED
    shown = calldata(store_url, "directory", "show", "--version", "1")
    assert shown.returncode == 0 and "directory version 1," in shown.stdout and "(shared)" in shown.stdout
    for command in ("show", "export"):
        missing = calldata(store_url, "directory", command, "--version", "7")
        assert missing.returncode == 1 and missing.stderr == "calldata: no directory version 7 " \
            "(`calldata directory history` lists them)\n"
