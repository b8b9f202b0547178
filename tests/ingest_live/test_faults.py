"""kill -9 during a large load: after restarts the store holds every source row exactly once.

`calldata ingest run` runs as a real subprocess following a PostgreSQL CDR table and a
Master.csv (rotated while the ingester is dead) while rows keep arriving; it is killed with
SIGKILL at several points. The checkpoints being committed with the rows is checked strictly:
no source row is ever offered to the store twice (`present` stays 0), none is missing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from calldata.ingest import checkpoints

from amiserver import AmiServer
from livesupport import PbxTable, ami_block, expected_key, master_line, stored_count, stored_keys, synthetic_rows, wait_for

N = int(os.environ.get("CALLDATA_FAULT_ROWS", "6000"))  # per source


def _start(store_url: str, config: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "calldata", "--database-url", store_url, "ingest", "run", "--config", str(config)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
@pytest.mark.parametrize("pbx_table", ["postgresql"], indirect=True)
def test_sigkill_during_a_large_load_loses_and_duplicates_nothing(
    engine: Engine, store_url: str, pbx_table: PbxTable, tmp_path: Path
) -> None:
    table_rows = synthetic_rows(N, tag="tbl")
    file_rows = synthetic_rows(N, tag="csv")
    master = tmp_path / "Master.csv"
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"""sources:
  - {{kind: table, name: pbx-db, url: "{pbx_table.url}", table: {pbx_table.name}, batch_size: 500, poll_seconds: 0.1}}
  - {{kind: file, name: pbx-csv, path: "{master}", batch_size: 500, poll_seconds: 0.05}}
"""
    )
    log = tmp_path / "ingest.log"
    half = N // 2
    pbx_table.insert(table_rows[:half])
    master.write_bytes(b"".join(master_line(r) for r in file_rows[:half]))

    total = 2 * N
    proc = _start(store_url, config, log)
    kills = 0
    try:
        for fraction, feed in ((0.1, None), (0.3, "more"), (0.55, "rotate"), (0.8, None)):
            assert wait_for(lambda: stored_count(engine) >= fraction * total or proc.poll() is not None, timeout=120)
            assert proc.poll() is None, log.read_text()[-3000:]
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            if feed == "more":  # rows keep arriving while the ingester is dead
                pbx_table.insert(table_rows[half : half + N // 4])
                with master.open("ab") as f:
                    f.write(b"".join(master_line(r) for r in file_rows[half : half + N // 4]))
            elif feed == "rotate":  # logrotate moves Master.csv away; Asterisk starts a new one
                os.rename(master, tmp_path / "Master.csv.1")
                master.write_bytes(b"".join(master_line(r) for r in file_rows[half + N // 4 :]))
                pbx_table.insert(table_rows[half + N // 4 :])
            proc = _start(store_url, config, log)
        assert wait_for(lambda: stored_count(engine) >= total or proc.poll() is not None, timeout=180), log.read_text()[-3000:]
        time.sleep(1.0)  # anything more would be a duplicate: give it the chance to show
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert kills == 4
    stored = stored_keys(engine)
    expected = [expected_key(r) for r in table_rows + file_rows]
    assert len(stored) == len(expected)
    assert sorted(stored) == sorted(expected)
    with engine.connect() as conn:
        states = {s.name: s for s in checkpoints.listing(conn)}
    assert states["pbx-db"].inserted == N and states["pbx-csv"].inserted == N
    assert states["pbx-db"].present == 0 and states["pbx-csv"].present == 0  # nothing offered twice


@pytest.mark.slow
@pytest.mark.parametrize("pbx_table", ["postgresql"], indirect=True)
def test_ami_paired_with_the_table_survives_sigkill(
    engine: Engine, store_url: str, pbx_table: PbxTable, tmp_path: Path
) -> None:
    """AMI loses what arrives while the ingester is dead; the table beside it fills the gap."""
    rows = synthetic_rows(N // 2, tag="pair")
    log = tmp_path / "ingest.log"
    with AmiServer() as server:
        config = tmp_path / "sources.yaml"
        config.write_text(
            f"""sources:
  - {{kind: ami, name: pbx-ami, host: 127.0.0.1, port: {server.port}, username: calldata, secret: s3cret}}
  - {{kind: table, name: pbx-db, url: "{pbx_table.url}", table: {pbx_table.name}, batch_size: 500, poll_seconds: 0.5}}
"""
        )
        proc = _start(store_url, config, log)
        try:
            chunks = [rows[i : i + len(rows) // 5] for i in range(0, len(rows), len(rows) // 5)]
            for n, chunk in enumerate(chunks):
                assert server.logged_in.wait(30), log.read_text()[-3000:]
                # Asterisk writes each CDR to both outputs; the AMI events go to whoever is connected
                pbx_table.insert(chunk)
                server.send(*(ami_block(r) for r in chunk))
                if n == 0:  # AMI stores a batch before the first kill (a new process's first batch can take a while)
                    assert wait_for(lambda: "pbx-ami" in _sources(engine), timeout=60), log.read_text()[-3000:]
                if n % 2 == 0:
                    time.sleep(0.3)
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    server.outbox.queue.clear()  # like Asterisk: no backlog for a session that is gone
                    proc = _start(store_url, config, log)
            assert wait_for(lambda: stored_count(engine) >= len(rows), timeout=120), log.read_text()[-3000:]
            time.sleep(1.0)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    assert sorted(stored_keys(engine)) == sorted(expected_key(r) for r in rows)
    with engine.connect() as conn:
        states = {s.name: s for s in checkpoints.listing(conn)}
    assert states["pbx-db"].inserted + states["pbx-db"].present == len(rows)
    assert states["pbx-ami"].inserted + states["pbx-db"].inserted == len(rows)
    # AMI stored batches (its rows, or rows the table's poll had stored first); the table filled
    # in what AMI lost while the ingester was dead
    assert states["pbx-ami"].inserted + states["pbx-ami"].present > 0


def _sources(engine: Engine) -> set[str]:
    """The sources that have stored a batch (each has a checkpoint)."""
    with engine.connect() as conn:
        return {s.name for s in checkpoints.listing(conn)}
