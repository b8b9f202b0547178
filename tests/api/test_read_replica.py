"""CALLDATA_READ_DATABASE_URL: a real `calldata serve` reads from a hot standby, writes go to the primary.

The standby lags (its replay is paused and resumed while legs are stored on the primary by
concurrent writers); a client paging on minID through the API still gets every leg once, in
order, because writers commit acctids in ascending order and a standby's snapshot is a prefix of
the primary's commits.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from api_helpers import cdr, issue_key
from servers import serving_process

from calldata.ingest.sink import store_batch
from calldata.store.engine import sync_engine, upgrade
from calldata.store.scratch import caught_up, replay, streaming_pair

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

WRITERS, BATCHES, ROWS = 2, 20, 50


def test_pages_come_from_the_replica_and_none_is_missed_or_repeated_while_it_lags() -> None:
    with streaming_pair() as pair:
        primary, replica = sync_engine(pair.primary), sync_engine(pair.replica)
        upgrade(primary)
        key = issue_key(primary)
        caught_up(pair)
        env = {"CALLDATA_READ_DATABASE_URL": pair.replica}
        with serving_process(pair.primary, env) as (base, _server), httpx.Client(
            base_url=base, headers={"authorization": f"Bearer {key}"}, timeout=30
        ) as client:

            def page(min_id: int, rows: int = 100) -> list[int]:
                answer = client.post("/rest/call/read", json={"scope": {"minID": min_id, "maxRows": rows}})
                assert answer.status_code == 200, answer.text
                return [int(row["acctid"]) for row in answer.json()["values"]]

            assert client.get("/health").json() == {"result": "success", "database": "ok", "replica": "ok"}

            # Reads go to the replica: with its replay paused, a leg stored on the primary is not seen.
            replay(pair.replica, paused=True)
            with primary.begin() as conn:
                store_batch(conn, [cdr(0)])
            assert page(0) == []
            # Identity stays on the primary: a key issued now works at once.
            late_key = issue_key(primary, "late")
            answer = client.post("/rest/call/read", json={"scope": {"minID": 0}},
                                 headers={"authorization": f"Bearer {late_key}"})
            assert answer.status_code == 200 and answer.json()["values"] == []
            replay(pair.replica, paused=False)
            caught_up(pair)
            first = page(0)
            assert len(first) == 1

            # Concurrent writers on the primary, the replica paused and resumed, a client paging.
            done = threading.Event()

            def write(writer: int) -> None:
                for batch in range(BATCHES):
                    start = 1 + (writer * BATCHES + batch) * ROWS
                    with primary.begin() as conn:
                        store_batch(conn, [cdr(i) for i in range(start, start + ROWS)])
                    time.sleep(0.01)

            def lag() -> None:
                while not done.is_set():
                    replay(pair.replica, paused=True)
                    time.sleep(0.3)
                    replay(pair.replica, paused=False)
                    time.sleep(0.1)

            writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
            lagging = threading.Thread(target=lag)
            for thread in (*writers, lagging):
                thread.start()
            pulled, last, behind = list(first), first[-1], 0
            while any(w.is_alive() for w in writers):
                got = page(last + 1)
                if got:
                    pulled += got
                    last = got[-1]
                with replica.connect() as seen, primary.connect() as conn:
                    lagging_by = -seen.exec_driver_sql("SELECT count(*) FROM cdr").scalar()
                    behind = max(behind, lagging_by + conn.exec_driver_sql("SELECT count(*) FROM cdr").scalar())
                time.sleep(0.02)
            done.set()
            lagging.join()
            replay(pair.replica, paused=False)
            caught_up(pair)
            while got := page(last + 1):
                pulled += got
                last = got[-1]

        with primary.connect() as conn:
            stored = [row[0] for row in conn.exec_driver_sql("SELECT acctid FROM cdr ORDER BY acctid")]
        primary.dispose()
        replica.dispose()
    assert behind > 0  # the client paged while the replica was behind the primary
    assert len(stored) == 1 + WRITERS * BATCHES * ROWS
    assert pulled == stored  # every leg once, in acctid order


def test_a_replica_url_needs_a_postgresql_primary() -> None:
    from calldata.config import ConfigError, Settings

    with pytest.raises(ConfigError, match="CALLDATA_READ_DATABASE_URL: a read replica needs a PostgreSQL primary"):
        Settings(database_url="sqlite:///x.sqlite3", read_database_url="postgresql://h/db").check_replica()
    Settings(database_url="postgresql://h/db", read_database_url="postgresql://r/db").check_replica()
    with pytest.raises(ConfigError, match="CALLDATA_READ_DATABASE_URL: a read replica is a PostgreSQL"):
        Settings(database_url="postgresql://h/db", read_database_url="sqlite:///y.sqlite3")
