"""Gap-free paging under concurrent writers (call-read.md, Paging) on the real PostgreSQL.

Writer processes store batches at once while a reader pages on `acctid >= minID` the way a
billing client calls /rest/call/read. With the writers' lock (insert_cdrs), every row is seen
exactly once; without it, the same reader misses rows, which shows the test can fail.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from calldata.store.schema import cdr

WRITER = Path(__file__).with_name("paging_writer.py")
WRITERS = 4
BATCHES = 60


def _page_while_writing(engine: Engine, store_url: str, mode: str) -> tuple[list[int], list[int]]:
    """(acctids the paging reader was handed, in order; acctids stored at the end)."""
    procs = [
        subprocess.Popen([sys.executable, str(WRITER), store_url, f"w{n}", str(BATCHES), mode])
        for n in range(WRITERS)
    ]
    seen: list[int] = []
    next_id = 0
    with engine.connect() as conn:
        def page() -> int:
            nonlocal next_id
            rows = conn.execute(
                select(cdr.c.acctid).where(cdr.c.acctid >= next_id).order_by(cdr.c.acctid).limit(7)
            ).scalars().all()
            conn.commit()
            seen.extend(rows)
            if rows:
                next_id = rows[-1] + 1
            return len(rows)

        while any(p.poll() is None for p in procs):
            page()
        while page():
            pass
        assert all(p.wait() == 0 for p in procs)
        stored = conn.execute(select(cdr.c.acctid).order_by(cdr.c.acctid)).scalars().all()
    return seen, list(stored)


@pytest.mark.slow
def test_a_paging_reader_sees_every_row_exactly_once(engine: Engine, store_url: str) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time by construction")
    with engine.connect() as conn:  # a session-cached sequence would hand out ids out of commit order
        cache = conn.execute(text("SELECT cache_size FROM pg_sequences WHERE sequencename LIKE 'cdr_acctid%'")).scalar_one()
    assert cache == 1
    seen, stored = _page_while_writing(engine, store_url, "locked")
    assert len(stored) > WRITERS * BATCHES  # every batch holds at least one row
    assert seen == stored  # in order, none missing, none twice


@pytest.mark.slow
def test_without_the_writers_lock_the_reader_misses_rows(engine: Engine, store_url: str) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    seen, stored = _page_while_writing(engine, store_url, "unlocked")
    assert seen == sorted(set(seen))
    assert len(seen) < len(stored)  # late commits below the reader's minID were skipped
