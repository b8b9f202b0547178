"""Following Asterisk's queue_log file: appends, partial lines, rotation, truncation, restarts, repeats."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from calldata.ingest import checkpoints
from calldata.ingest.follow import FileSource
from calldata.ingest.metrics import IngestCollector
from calldata.ingest.queuelog import QueueLogLines
from calldata.ingest.runner import store
from calldata.ingest.sources import build, load_config
from calldata.ingest.table import TableSource
from calldata.store.schema import quarantine

from livesupport import drain
from queue_logs import QUEUE_LOG_LINES, expected, generated, stored

NAME = "pbx-queues"


def _source(path: Path, batch_size: int = 4) -> FileSource:
    return FileSource(NAME, path, QueueLogLines(), batch_size=batch_size, poll_seconds=0.01)


def _state(engine: Engine) -> checkpoints.SourceState:
    with engine.connect() as conn:
        state = checkpoints.load(conn, NAME)
    assert state is not None
    return state


def _append(path: Path, data: bytes) -> None:
    with path.open("ab") as f:
        f.write(data)


def _read_all(engine: Engine, source: FileSource) -> None:
    while (batch := source.read(0)) is not None:
        store(engine, source, batch)


def test_the_run_appended_line_by_line_is_stored_exactly(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    source = _source(path)
    source.open("")
    assert source.read(0) is None  # no file yet: wait, no error
    for line in QUEUE_LOG_LINES:
        half = len(line) // 2
        _append(path, line[:half])
        assert source.read(0) is None  # a half-written line is not an event yet
        _append(path, line[half:])
        batch = source.read(0)
        assert batch is not None and len(batch.records) == 1
        store(engine, source, batch)
    source.close()
    assert len(stored(engine)) == 14
    assert stored(engine) == expected(QUEUE_LOG_LINES)
    state = _state(engine)
    assert (state.kind, state.inserted, state.present) == ("queue_log_file", 14, 0)
    assert state.newest_calldate is not None and int(state.newest_calldate.timestamp()) == 1795965570  # the lag's reference


def test_restart_resumes_at_the_exact_byte(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_bytes(b"".join(QUEUE_LOG_LINES[:6]))
    drain(engine, _source(path))
    _append(path, b"".join(QUEUE_LOG_LINES[6:]))
    drain(engine, _source(path), _state(engine).position)
    state = _state(engine)
    assert state.inserted == 14 and state.present == 0
    assert f'"offset":{path.stat().st_size}' in state.position
    assert stored(engine) == expected(QUEUE_LOG_LINES)


def test_identical_lines_of_one_second_split_by_batches_and_restarts_are_all_kept(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    busy = b"1795965559|1795965551.50|acme-support|Bob|RINGNOANSWER|0\n"
    lines = [QUEUE_LOG_LINES[10], busy, busy, busy, QUEUE_LOG_LINES[12]]
    path.write_bytes(b"".join(lines[:2]))
    drain(engine, _source(path, batch_size=1))
    _append(path, busy)  # the same second goes on after a restart
    drain(engine, _source(path, batch_size=1), _state(engine).position)
    _append(path, busy + lines[4])
    drain(engine, _source(path, batch_size=1), _state(engine).position)
    assert stored(engine) == expected(lines)
    assert [r[4] for r in stored(engine)].count("RINGNOANSWER") == 3
    assert _state(engine).present == 0


def test_rotation_while_following_finishes_the_old_file(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_bytes(b"".join(QUEUE_LOG_LINES[:5]))
    source = _source(path)
    source.open("")
    _read_all(engine, source)
    _append(path, b"".join(QUEUE_LOG_LINES[5:8]))  # written just before the rotation
    os.rename(path, tmp_path / "queue_log.1")  # logger rotate: queue_log -> queue_log.1, a new queue_log
    path.write_bytes(b"".join(QUEUE_LOG_LINES[8:]))
    _read_all(engine, source)
    source.close()
    assert stored(engine) == expected(QUEUE_LOG_LINES)
    assert _state(engine).present == 0


def test_rotation_while_stopped_finishes_the_old_file_first(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_bytes(b"".join(QUEUE_LOG_LINES[:4]))
    drain(engine, _source(path))
    _append(path, b"".join(QUEUE_LOG_LINES[4:9]))
    os.rename(path, tmp_path / "queue_log.1")
    path.write_bytes(b"".join(QUEUE_LOG_LINES[9:]))
    drain(engine, _source(path), _state(engine).position)
    assert stored(engine) == expected(QUEUE_LOG_LINES)
    assert _state(engine).present == 0


def test_truncation_is_read_from_the_start(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_bytes(b"".join(QUEUE_LOG_LINES[:9]))
    source = _source(path)
    source.open("")
    _read_all(engine, source)
    with path.open("r+b") as f:  # logrotate copytruncate
        f.truncate(0)
    _append(path, b"".join(QUEUE_LOG_LINES[9:]))
    _read_all(engine, source)
    source.close()
    assert stored(engine) == expected(QUEUE_LOG_LINES)


def test_truncated_while_stopped(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_bytes(b"".join(QUEUE_LOG_LINES[:9]))
    drain(engine, _source(path))
    path.write_bytes(b"".join(QUEUE_LOG_LINES[9:]))  # same inode, rewritten shorter
    drain(engine, _source(path), _state(engine).position)
    assert stored(engine) == expected(QUEUE_LOG_LINES)


def test_bad_lines_are_quarantined_with_line_and_byte_and_the_rest_stored(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    bad = [b"yesterday|1.2|acme-support|Bob|CONNECT|1\n", b"1795965570|1.2|acme-support\n", b"1795965570|1.2|q|Bob|connect\n"]
    good = generated(30)
    data = [*good[:10], bad[0], *good[10:20], bad[1], bad[2], *good[20:]]
    path.write_bytes(b"".join(data))
    drain(engine, _source(path, batch_size=7))
    with engine.connect() as conn:
        rows = conn.execute(select(quarantine.c.source, quarantine.c.position, quarantine.c.raw, quarantine.c.reason)
                            .order_by(quarantine.c.id)).all()
    ino = path.stat().st_ino
    at = [data.index(b) for b in bad]
    assert [(s, p, r) for s, p, r, _ in rows] == [
        (NAME, f"inode {ino} line {i + 1} byte {len(b''.join(data[:i]))}", data[i].decode().rstrip("\n")) for i in at
    ]
    assert [reason.split(":")[0] for *_, reason in rows] == ["time", "fewer than 5 fields (time|callid|queue|agent|event)", "event"]
    assert stored(engine) == expected(good)
    assert _state(engine).quarantined == 3


def test_sources_yaml_builds_both_queue_log_kinds_and_names_a_bad_key(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(
        "sources:\n"
        "  - {kind: queue_log_file, name: q-file, path: /var/log/asterisk/queue_log}\n"
        "  - {kind: queue_log_table, name: q-db, url: 'postgresql://asterisk@pbx/asterisk', timezone: Europe/London}\n"
    )
    sources = [build(s) for s in load_config(config).sources]
    assert [(s.name, s.kind) for s in sources] == [("q-file", "queue_log_file"), ("q-db", "queue_log_table")]
    assert isinstance(sources[1], TableSource) and sources[1].table_name == "queue_log"
    config.write_text("sources:\n  - {kind: queue_log_file, name: q, path: /x, layout: auto}\n")
    with pytest.raises(ValueError, match="unknown field `layout`"):
        load_config(config)


def test_status_and_metrics_show_the_source_like_the_others(engine: Engine, store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_bytes(b"".join(QUEUE_LOG_LINES) + b"1795965570|1.2|q\n")
    drain(engine, _source(path))
    samples = {(s.name, s.labels["source"], s.labels["kind"]): s.value
               for family in IngestCollector(engine).collect() for s in family.samples}
    assert samples[("calldata_ingest_rows_total", NAME, "queue_log_file")] == 14
    assert samples[("calldata_ingest_quarantined_total", NAME, "queue_log_file")] == 1
    status = subprocess.run([sys.executable, "-m", "calldata", "--database-url", store_url, "ingest", "status"],
                            capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "COLUMNS": "300"})
    assert status.returncode == 0, status.stderr
    row = next(line for line in status.stdout.splitlines() if NAME in line)
    assert [c.strip() for c in row.split("│")[1:6]] == [NAME, "queue_log_file", "14", "0", "1"]
