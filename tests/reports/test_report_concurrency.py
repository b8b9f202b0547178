"""Reports while the store is being written: no lock, no retry, and each one a consistent snapshot."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from calldata.attribution import versions
from calldata.attribution.directory import parse_directory
from calldata.auth.permissions import BILLING_CALL_SUMMARY
from calldata.demo.generator import generate
from calldata.ingest.sink import store_batch
from recordings import DIRECTORY_YAML
from stored_world import key_for
from servers import served

KINDS = ("incalls", "outcalls")
BATCH = 100
READERS = 3
SCOPE = {"company": "acme", "year": 2026, "month": 11}


def _batches() -> list[list[Any]]:
    """A week of generated calls of the example PBX, in the order Asterisk writes them, in batches."""
    directory = parse_directory(DIRECTORY_YAML.read_text())
    rows = list(generate(directory, rows=3000, seed=5, start=datetime(2026, 11, 2, tzinfo=UTC), days=7))
    return [rows[i:i + BATCH] for i in range(0, len(rows), BATCH)]


def _store(engine: Engine, batch: list[Any]) -> None:
    with engine.begin() as conn:
        store_batch(conn, batch)


def _report(client: httpx.Client, kind: str) -> Any:
    """The report's values; anything but a 200 success (an error, a `retry`) fails the test."""
    r = client.post(f"/rest/call/{kind}", json={"type": "cdr", "scope": SCOPE})
    assert r.status_code == 200, r.text[:300]
    answer = r.json()
    assert answer["result"] == "success", answer
    return answer["values"]


def test_reports_while_batches_are_stored_each_match_a_committed_state(engine: Engine, store_url: str) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers and readers: PostgreSQL (SQLite has one writer at a time)")
    with engine.begin() as conn:
        versions.save(conn, DIRECTORY_YAML.read_text(), str(DIRECTORY_YAML))
    key = key_for(engine, "billing", {BILLING_CALL_SUMMARY: []})
    batches = _batches()
    seen: list[tuple[str, Any]] = []
    failures: list[BaseException] = []
    writing = threading.Event()
    writing.set()

    def writer() -> None:
        try:
            for batch in batches:
                _store(engine, batch)
        finally:
            writing.clear()

    def reader(first: int) -> None:
        try:
            with httpx.Client(base_url=base, headers={"authorization": f"Bearer {key}"}, timeout=60) as client:
                n = first
                while writing.is_set():
                    kind = KINDS[n % 2]
                    seen.append((kind, _report(client, kind)))
                    n += 1
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
            writing.clear()

    with served(store_url) as base:
        threads = [threading.Thread(target=writer), *(threading.Thread(target=reader, args=(i,)) for i in range(READERS))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not failures, failures
        assert not any(thread.is_alive() for thread in threads)

        # The same batches again, one at a time, on an emptied table (acctids restart at 1):
        # the report of every committed state, before the first batch and after each one.
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE cdr RESTART IDENTITY"))
        states: dict[str, list[Any]] = {kind: [] for kind in KINDS}
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {key}"}, timeout=60) as client:
            for batch in [*batches, None]:
                for kind in KINDS:
                    states[kind].append(_report(client, kind))
                if batch is not None:
                    _store(engine, batch)

    assert len(seen) >= 2 * READERS
    moments = set()
    for kind, values in seen:
        assert values in states[kind], f"{kind}: a report matching no committed state"
        moments.add(states[kind].index(values))
    assert len(moments) > 1, "every report saw the same state: nothing ran while batches were stored"
