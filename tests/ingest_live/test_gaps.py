"""Keys the table source skipped over: waited for through outages, given up only after `gap_wait`
seconds spent polling for them, and then visibly (metric, `ingest status`, log)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry
from sqlalchemy import Engine, select

from calldata.ingest import checkpoints
from calldata.ingest.metrics import IngestCollector
from calldata.ingest.runner import Runner, store
from calldata.ingest.gaps import PollClock
from calldata.ingest.table import TableSource
from calldata.store.schema import cdr

from livesupport import PbxTable, stored_count, synthetic_rows, wait_for

GAP_WAIT = 1.0


class FakeTime:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _poll(clock: PollClock, fake: FakeTime, seconds: float) -> None:
    """`seconds` spent polling (as inside `TableSource.read`)."""
    with clock.polling():
        fake.now += seconds


def _source(t: PbxTable, **kw) -> TableSource:
    return TableSource("pbx-db", t.url, table=t.name, gap_wait=GAP_WAIT, poll_seconds=0.05, **kw)


def _state(engine: Engine) -> checkpoints.SourceState:
    with engine.connect() as conn:
        state = checkpoints.load(conn, "pbx-db")
    assert state is not None
    return state


def _gaps(position: str) -> list[list[int]]:
    return [g[:2] for g in json.loads(position)["gaps"]]


def _uniqueids(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(cdr.c.uniqueid).order_by(cdr.c.acctid)).scalars())


def _run_until(engine: Engine, source: TableSource, done: Callable[[], bool]) -> bool:
    """Run the ingester on `source` until `done`, then stop it."""
    runner = Runner(engine, [source], wait=0.1)
    runner.start()
    try:
        return wait_for(done, timeout=15)
    finally:
        runner.stop.set()
        runner.join(10)


def test_a_key_committed_while_the_ingester_was_stopped_past_gap_wait_is_stored(engine: Engine, pbx_table: PbxTable) -> None:
    """The issue's repro: T1 holds key 1 open, T2 commits 2..4, the ingester reads them and stops
    for longer than gap_wait, T1 commits, the ingester starts again: row 1 is stored."""
    slow = pbx_table.insert_open("late.1")
    pbx_table.insert(synthetic_rows(3))
    assert _run_until(engine, _source(pbx_table), lambda: stored_count(engine) == 3)
    assert _gaps(_state(engine).position) == [[1, 1]]
    time.sleep(2 * GAP_WAIT)  # the ingester is stopped ...
    slow.commit()  # ... and the slow writer commits meanwhile
    assert _run_until(engine, _source(pbx_table), lambda: stored_count(engine) == 4)
    assert _uniqueids(engine)[-1] == "late.1"
    state = _state(engine)
    assert (_gaps(state.position), state.given_up) == ([], 0)


def test_only_time_spent_polling_counts_towards_gap_wait(engine: Engine, pbx_table: PbxTable) -> None:
    """An hour not polling (ingester stopped, store down) and a restart do not use up gap_wait."""
    fake = FakeTime()
    clock = PollClock(fake)
    slow = pbx_table.insert_open("late.1")
    pbx_table.insert(synthetic_rows(3))
    source = _source(pbx_table, clock=clock)
    source.open("")
    first = source.read(0)
    assert first is not None and len(first.records) == 3
    store(engine, source, first)
    _poll(clock, fake, 0.75)
    assert source.read(0) is None  # looked for during 0.75 s: still waited for
    fake.now += 3600  # an hour without polling
    assert source.read(0) is None
    source.close()
    restarted = _source(pbx_table, clock=clock)
    restarted.open(_state(engine).position)
    _poll(clock, fake, 0.75)
    assert restarted.read(0) is None
    slow.commit()
    late = restarted.read(0)
    restarted.close()
    assert late is not None and [r.uniqueid for r in late.records] == ["late.1"]
    assert (_gaps(late.position), late.given_up) == ([], 0)


def test_a_key_is_given_up_after_gap_wait_of_polling(engine: Engine, pbx_table: PbxTable) -> None:
    fake = FakeTime()
    clock = PollClock(fake)
    pbx_table.insert_open("never.1")  # rolled back at the end of the test
    pbx_table.insert(synthetic_rows(1))
    source = _source(pbx_table, clock=clock)
    source.open("")
    assert source.read(0) is not None
    _poll(clock, fake, 0.75)
    assert source.read(0) is None
    _poll(clock, fake, 0.25)
    batch = source.read(0)
    source.close()
    assert batch is not None and batch.records == [] and batch.given_up == 1
    assert _gaps(batch.position) == []
    store(engine, source, batch)
    assert _state(engine).given_up == 1


def test_holes_of_a_checkpoint_written_before_gaps_are_waited_for_anew(pbx_table: PbxTable) -> None:
    """An older checkpoint stamped its holes with the wall-clock time they were first missed."""
    slow = pbx_table.insert_open("late.1")
    pbx_table.insert(synthetic_rows(3))
    source = _source(pbx_table, clock=PollClock(FakeTime()))
    source.open(json.dumps({"upto": 4, "holes": [[1, 1, time.time() - 3600]]}))
    assert source.read(0) is None
    slow.commit()
    late = source.read(0)
    source.close()
    assert late is not None and [r.uniqueid for r in late.records] == ["late.1"]


@pytest.mark.parametrize("pbx_table", ["postgresql"], indirect=True)
def test_a_key_that_never_commits_is_given_up_visibly(engine: Engine, store_url: str, pbx_table: PbxTable, tmp_path: Path) -> None:
    """`calldata ingest run` gives the key up after gap_wait; the log, `ingest status` and the
    Prometheus figures all say so."""
    pbx_table.insert_open("never.1")  # rolled back at the end of the test
    pbx_table.insert(synthetic_rows(3))
    config = tmp_path / "sources.yaml"
    config.write_text(
        f'sources:\n  - {{kind: table, name: pbx-db, url: "{pbx_table.url}", table: {pbx_table.name}, '
        f"poll_seconds: 0.05, gap_wait: {GAP_WAIT}}}\n"
    )
    cli = [sys.executable, "-m", "calldata", "--database-url", store_url]
    started = time.monotonic()
    proc = subprocess.Popen([*cli, "ingest", "run", "--config", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: stored_count(engine) == 3 and _state(engine).given_up == 1, timeout=30)
        assert time.monotonic() - started >= GAP_WAIT
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "pbx-db: gave up waiting for acctid 1 " in " ".join(err.decode().split())
    assert stored_count(engine) == 3 and _gaps(_state(engine).position) == []

    wide = {**os.environ, "COLUMNS": "250"}  # the table whole, not a block per source (cli/tables.py)
    status = subprocess.run([*cli, "ingest", "status"], capture_output=True, text=True, check=True, env=wide).stdout
    header = next(line for line in status.splitlines() if "keys given up" in line)
    row = next(line for line in status.splitlines() if "pbx-db" in line)
    column = [c.strip() for c in header.split("┃")].index("keys given up")
    assert row.split("│")[column].strip() == "1", status

    registry = CollectorRegistry()
    registry.register(IngestCollector(engine))
    samples = {
        (s.name, s.labels["source"]): s.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for s in family.samples
    }
    assert samples[("calldata_ingest_keys_given_up_total", "pbx-db")] == 1
