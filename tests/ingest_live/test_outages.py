"""Outages of the PBX database and of the store: the ingester waits and retries, never exits or skips."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine, text

from calldata.ingest import checkpoints
from calldata.ingest.runner import Runner
from calldata.ingest.table import TableSource
from calldata.store.engine import sync_engine

from livesupport import PbxTable, expected_key, stored_count, stored_keys, synthetic_rows, wait_for


def _state(engine: Engine) -> checkpoints.SourceState:
    with engine.connect() as conn:
        state = checkpoints.load(conn, "pbx-db")
    assert state is not None
    return state


@pytest.mark.parametrize("pbx_table", ["postgresql", "mariadb"], indirect=True)
def test_the_pbx_database_going_away_is_waited_out(engine: Engine, pbx_table: PbxTable) -> None:
    rows = synthetic_rows(300)
    pbx_table.insert(rows[:100])
    runner = Runner(engine, [TableSource("pbx-db", pbx_table.url, table=pbx_table.name, poll_seconds=0.05, batch_size=50)], wait=0.1)
    runner.start()
    try:
        assert wait_for(lambda: stored_count(engine) == 100)
        # the table disappears (a DBA's migration, a failover): reads fail until it is back
        with pbx_table.engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {pbx_table.name} RENAME TO {pbx_table.name}_away"))
        away = PbxTable(pbx_table.url, f"{pbx_table.name}_away", pbx_table.engine)
        away.insert(rows[100:200])
        assert wait_for(lambda: _state(engine).last_error != "", timeout=10)  # noticed, and said so
        time.sleep(0.5)
        with pbx_table.engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {pbx_table.name}_away RENAME TO {pbx_table.name}"))
        pbx_table.insert(rows[200:])
        assert wait_for(lambda: stored_count(engine) == 300, timeout=60)
        assert all(t.is_alive() for t in runner._threads)
    finally:
        runner.stop.set()
        runner.join(10)
    assert stored_keys(engine) == [expected_key(r) for r in rows]
    assert _state(engine).present == 0


@pytest.mark.parametrize("pbx_table", ["postgresql"], indirect=True)
def test_the_store_failing_mid_load_loses_and_duplicates_nothing(engine: Engine, pbx_table: PbxTable) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the store outage is staged on the PostgreSQL server")
    rows = synthetic_rows(3000)
    pbx_table.insert(rows[:1500])
    # the ingester's own connections, named so that only they are cut
    ingester_engine = sync_engine(engine.url.update_query_dict({"application_name": "ingest-outage-test"}).render_as_string(hide_password=False))
    runner = Runner(ingester_engine, [TableSource("pbx-db", pbx_table.url, table=pbx_table.name, poll_seconds=0.05, batch_size=100)], wait=0.1)
    runner.start()
    try:
        assert wait_for(lambda: stored_count(engine) >= 200, timeout=60)
        # the store refuses writes for a while (its checkpoint table is gone) ...
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE ingest_source RENAME TO ingest_source_away"))
        pbx_table.insert(rows[1500:])
        time.sleep(1.5)
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE ingest_source_away RENAME TO ingest_source"))
        # ... and its connections are cut, again and again, while batches commit
        killer = engine.connect()
        killed = 0
        for _ in range(8):
            killed += len(killer.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'ingest-outage-test' AND datname = current_database()"
                ),
            ).all())
            killer.commit()
            time.sleep(0.3)
        killer.close()
        assert killed > 0
        assert wait_for(lambda: stored_count(engine) >= 3000, timeout=120)
        time.sleep(0.5)
        assert all(t.is_alive() for t in runner._threads)
    finally:
        runner.stop.set()
        runner.join(10)
        ingester_engine.dispose()
    assert sorted(stored_keys(engine)) == sorted(expected_key(r) for r in rows)


@pytest.mark.parametrize("pbx_table", ["postgresql"], indirect=True)
def test_a_store_that_is_not_there_yet_is_waited_for(pbx_table: PbxTable, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`calldata ingest run` started before its store exists waits, then ingests; it never exits."""
    import os
    import subprocess
    import sys
    import uuid

    from sqlalchemy import create_engine, make_url

    admin = os.environ.get("CALLDATA_TEST_POSTGRES_URL")
    if not admin:
        pytest.skip("CALLDATA_TEST_POSTGRES_URL is not set")
    admin_url = make_url(admin).set(drivername="postgresql+psycopg")
    name = f"calldata_late_{uuid.uuid4().hex[:8]}"
    store_url = admin_url.set(database=name).render_as_string(hide_password=False)
    rows = synthetic_rows(50)
    pbx_table.insert(rows)
    config = tmp_path / "sources.yaml"
    config.write_text(f'sources:\n  - {{kind: table, name: pbx-db, url: "{pbx_table.url}", table: {pbx_table.name}, poll_seconds: 0.1}}\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "calldata", "--database-url", store_url, "ingest", "run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    said: list[bytes] = []
    waiting = threading.Event()

    def read_stderr() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            said.append(line)
            if b"store unavailable" in line:
                waiting.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    admin_engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        # it has tried the store and said so (however long a loaded machine takes to start it)
        assert waiting.wait(60), b"".join(said).decode()[-2000:]
        assert proc.poll() is None  # still waiting, not exited
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        store = sync_engine(store_url)
        assert wait_for(lambda: stored_count(store) == 50, timeout=60)
        assert stored_keys(store) == [expected_key(r) for r in rows]
        store.dispose()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        reader.join(10)
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()
    assert proc.returncode == 0, b"".join(said).decode()[-2000:]
