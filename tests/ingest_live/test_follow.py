"""Following a growing Master.csv: appends, partial lines, rotation, truncation, restarts."""

from __future__ import annotations

import os
from datetime import UTC
from pathlib import Path

from sqlalchemy import Engine, select

from calldata.ingest import checkpoints
from calldata.ingest.follow import CsvLines, FileSource
from calldata.store.schema import quarantine

from livesupport import STORIES_DIR, STORY_NAMES, all_story_rows, drain, expected_key, stored_keys

MASTER_LINES = [
    line
    for story in STORY_NAMES
    for line in (STORIES_DIR / story / "Master.csv").read_bytes().splitlines(keepends=True)
]


def _source(path: Path) -> FileSource:
    return FileSource("pbx-csv", path, CsvLines(UTC), batch_size=5, poll_seconds=0.01)


def _position(engine: Engine) -> str:
    with engine.connect() as conn:
        state = checkpoints.load(conn, "pbx-csv")
    return "" if state is None else state.position


def _append(path: Path, data: bytes) -> None:
    with path.open("ab") as f:
        f.write(data)


def test_stories_appended_line_by_line_are_stored_exactly(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    source = _source(path)
    source.open("")
    assert source.read(0) is None  # the file does not exist yet: wait, no error
    from calldata.ingest.runner import store

    for line in MASTER_LINES:
        half = len(line) // 2
        _append(path, line[:half])
        assert source.read(0) is None  # a half-written line is not a record yet
        _append(path, line[half:])
        batch = source.read(0)
        assert batch is not None and len(batch.records) == 1
        store(engine, source, batch)
    source.close()
    assert stored_keys(engine) == [expected_key(r) for r in all_story_rows()]


def test_restart_resumes_at_the_exact_byte(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    path.write_bytes(b"".join(MASTER_LINES[:13]))
    drain(engine, _source(path))
    _append(path, b"".join(MASTER_LINES[13:]))
    drain(engine, _source(path), _position(engine))
    with engine.connect() as conn:
        state = checkpoints.load(conn, "pbx-csv")
    assert state is not None and state.inserted == len(MASTER_LINES) and state.present == 0
    assert f'"offset":{path.stat().st_size}' in state.position
    assert stored_keys(engine) == [expected_key(r) for r in all_story_rows()]


def test_rotation_while_following(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    path.write_bytes(b"".join(MASTER_LINES[:10]))
    source = _source(path)
    source.open("")
    batches = []
    while (b := source.read(0)) is not None:
        batches.append(b)
    _append(path, MASTER_LINES[10].rstrip(b"\n"))  # the last line of the old file has no newline
    os.rename(path, tmp_path / "Master.csv.1")
    path.write_bytes(b"".join(MASTER_LINES[11:]))
    while (b := source.read(0)) is not None:
        batches.append(b)
    source.close()
    from calldata.ingest.runner import store

    for b in batches:
        store(engine, source, b)
    assert stored_keys(engine) == [expected_key(r) for r in all_story_rows()]


def test_rotation_while_stopped_finishes_the_old_file_first(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    path.write_bytes(b"".join(MASTER_LINES[:8]))
    drain(engine, _source(path))
    _append(path, b"".join(MASTER_LINES[8:15]))
    os.rename(path, tmp_path / "Master.csv.1")
    path.write_bytes(b"".join(MASTER_LINES[15:]))
    # the new source finishes Master.csv.1, then moves to the new Master.csv
    source = _source(path)
    drain(engine, source, _position(engine))
    assert stored_keys(engine) == [expected_key(r) for r in all_story_rows()]


def test_truncation_is_read_from_the_start(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    path.write_bytes(b"".join(MASTER_LINES[:20]))
    source = _source(path)
    source.open("")
    from calldata.ingest.runner import store

    while (b := source.read(0)) is not None:
        store(engine, source, b)
    with path.open("r+b") as f:  # logrotate copytruncate
        f.truncate(0)
    _append(path, b"".join(MASTER_LINES[20:]))
    while (b := source.read(0)) is not None:
        store(engine, source, b)
    source.close()
    assert stored_keys(engine) == [expected_key(r) for r in all_story_rows()]


def test_truncated_while_stopped(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    path.write_bytes(b"".join(MASTER_LINES[:20]))
    drain(engine, _source(path))
    path.write_bytes(b"".join(MASTER_LINES[20:]))  # same inode, rewritten shorter
    drain(engine, _source(path), _position(engine))
    assert stored_keys(engine) == [expected_key(r) for r in all_story_rows()]


def test_bad_lines_are_quarantined_with_line_and_byte(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    bad = b'"acme","201","202","acme","x","IAX2/a","IAX2/b","Dial","","2026-13-45 99:00:00","","",1,1,"ANSWERED","DOCUMENTATION","1.1","","","1.1",0\n'
    data = b"".join(MASTER_LINES[:3]) + bad + b"".join(MASTER_LINES[3:])
    path.write_bytes(data)
    drain(engine, _source(path))
    with engine.connect() as conn:
        rows = conn.execute(select(quarantine.c.source, quarantine.c.position, quarantine.c.reason)).all()
    ino = path.stat().st_ino
    offset = len(b"".join(MASTER_LINES[:3]))
    assert [(s, p) for s, p, _ in rows] == [("pbx-csv", f"inode {ino} line 4 byte {offset}")]
    assert "start" in rows[0][2]
    assert stored_keys(engine) == [expected_key(r) for r in all_story_rows()]
