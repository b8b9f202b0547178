"""`calldata import` of old queue_log files as an operator runs it: detected, idempotent, bad lines quarantined."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from calldata.store.engine import sync_engine
from queue_logs import QUEUE_LOG, QUEUE_LOG_LINES, expected, generated, stored
from test_csv_cli import _entries, _row, calldata

from csv_samples import STORIES


def _stored(store_url: str) -> list[tuple]:
    engine: Engine = sync_engine(store_url)
    try:
        return stored(engine)
    finally:
        engine.dispose()


def test_the_run_imports_14_events_and_again_none(store_url: str) -> None:
    first = calldata(store_url, "import", str(QUEUE_LOG))
    assert first.returncode == 0, first.stderr
    assert _row(first.stdout, "all/queue_log")[1:] == ["queue_log", "14", "14", "0", "0"]
    assert "14 rows read in" in first.stdout
    again = calldata(store_url, "import", str(QUEUE_LOG), str(STORIES / "all" / "Master.csv"))
    assert again.returncode == 0, again.stderr
    assert _row(again.stdout, "all/queue_log")[1:] == ["queue_log", "14", "0", "14", "0"]
    assert _row(again.stdout, "all/Master.csv")[3] == "32"  # CDRs beside it, each file detected on its own
    assert _stored(store_url) == expected(QUEUE_LOG_LINES)


def test_bad_lines_are_quarantined_with_file_line_and_reason(store_url: str, tmp_path: Path) -> None:
    good = generated(12)
    path = tmp_path / "queue_log.1"
    lines = [*good[:4], b"17959653xx|1.2|acme-support|Bob|CONNECT|1\n", *good[4:9], b"\n", b"1795965570|1.2|q\n", *good[9:]]
    path.write_bytes(b"".join(lines))
    result = calldata(store_url, "import", "--batch-size", "3", str(path))
    assert result.returncode == 0, result.stderr
    assert _row(result.stdout, "queue_log.1")[1:] == ["queue_log", "14", "12", "0", "2"]
    listed = calldata(store_url, "quarantine", "list", "--source", str(path))
    assert [e[2:5] for e in _entries(listed.stdout)] == [
        [str(path.resolve()), "12", "fewer than 5 fields (time|callid|queue|agent|event): 3"],
        [str(path.resolve()), "5", "time: not epoch seconds or a date and time: '17959653xx'"],
    ]
    assert _stored(store_url) == expected(good)
    again = calldata(store_url, "import", str(path))
    assert _row(again.stdout, "queue_log.1")[1:] == ["queue_log", "14", "0", "12", "2 (2 already)"]


def test_the_format_can_be_forced(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "mostly-bad"
    path.write_bytes(b"garbage\n" * 3 + QUEUE_LOG_LINES[1])  # too little to be detected as queue_log
    detected = calldata(store_url, "import", str(path))
    assert detected.returncode == 2 and "nothing imported" in detected.stderr
    forced = calldata(store_url, "import", "--layout", "queue_log", str(path))
    assert forced.returncode == 0, forced.stderr
    assert _row(forced.stdout, "mostly-bad")[1:] == ["queue_log", "4", "1", "0", "3"]
