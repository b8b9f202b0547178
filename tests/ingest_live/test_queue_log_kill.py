"""kill -9 while queue_log is ingested: after restarts the store holds every line's event exactly once,
and the stays kept beside them are exactly those stays.py reads from the stored events.

A real `calldata ingest run` follows a large generated queue_log (appended to and rotated while
the ingester is dead) and is killed with SIGKILL at random moments; a real `calldata import` of
another one is killed the same way and run again. The checkpoint committing with each batch is
checked strictly for the follower: no event is offered to the store twice (`present` stays 0).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from calldata.ingest import checkpoints
from calldata.queues.schema import queue_event

from livesupport import wait_for
from queue_logs import computed_stays, expected, generated, kept_stays, stored

N = int(os.environ.get("CALLDATA_FAULT_ROWS", "6000")) * 4  # events per test: several batches between kills


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(queue_event)).scalar_one())


def _calldata(store_url: str, log: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "calldata", "--database-url", store_url, *args], stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


@pytest.mark.slow
def test_sigkill_while_following_loses_and_duplicates_nothing(engine: Engine, store_url: str, tmp_path: Path) -> None:
    lines = generated(N, seed=11)
    path = tmp_path / "queue_log"
    config = tmp_path / "sources.yaml"
    config.write_text(f'sources:\n  - {{kind: queue_log_file, name: pbx-queues, path: "{path}", batch_size: 500, poll_seconds: 0.05}}\n')
    log = tmp_path / "ingest.log"
    half, rotated = N // 2, 3 * N // 4
    path.write_bytes(b"".join(lines[:half]))
    rng = random.Random(5)
    proc = _calldata(store_url, log, "ingest", "run", "--config", str(config))
    kills = 0
    try:
        for fraction, feed in ((0.1, None), (0.3, "more"), (0.55, "rotate"), (0.8, None)):
            target = int(fraction * N) + rng.randint(0, N // 20)  # a random moment inside a stretch of batches
            assert wait_for(lambda: _count(engine) >= target or proc.poll() is not None, timeout=180)
            assert proc.poll() is None, log.read_text()[-3000:]
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            if feed == "more":  # Asterisk keeps writing while the ingester is dead
                with path.open("ab") as f:
                    f.write(b"".join(lines[half:rotated]))
            elif feed == "rotate":  # logger rotate: queue_log -> queue_log.1, a new queue_log
                os.rename(path, tmp_path / "queue_log.1")
                path.write_bytes(b"".join(lines[rotated:]))
            proc = _calldata(store_url, log, "ingest", "run", "--config", str(config))
        assert wait_for(lambda: _count(engine) >= N or proc.poll() is not None, timeout=240), log.read_text()[-3000:]
        time.sleep(1.0)  # anything more would be a duplicate: give it the chance to show
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert kills == 4
    # each file numbers its own repeats: the rotated file's lines, then the new file's
    assert stored(engine) == sorted(expected(lines[:rotated]) + expected(lines[rotated:]))
    assert kept_stays(engine) == computed_stays(engine) != []
    with engine.connect() as conn:
        state = checkpoints.load(conn, "pbx-queues")
    assert state is not None and (state.kind, state.inserted, state.present, state.quarantined) == ("queue_log_file", N, 0, 0)


@pytest.mark.slow
def test_sigkill_during_import_then_import_again_stores_each_event_once(engine: Engine, store_url: str, tmp_path: Path) -> None:
    lines = generated(N, seed=12)
    path = tmp_path / "queue_log.2"
    path.write_bytes(b"".join(lines))
    log = tmp_path / "import.log"
    rng = random.Random(6)
    for _ in range(3):
        proc = _calldata(store_url, log, "import", "--batch-size", "300", str(path))
        before = _count(engine)
        wait_for(lambda: _count(engine) > before + rng.randint(300, 3000) or proc.poll() is not None, timeout=180)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert 0 < _count(engine) < N  # killed part-way
    done = _calldata(store_url, log, "import", str(path))
    assert done.wait(240) == 0, log.read_text()[-3000:]
    assert stored(engine) == expected(lines)
    assert kept_stays(engine) == computed_stays(engine) != []
