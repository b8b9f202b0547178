"""A PostgreSQL store of a test's own (partitions change under these tests, so never the shared one),
with small partitions, and legs to put in it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from calldata.cdr import Cdr
from calldata.store.engine import sync_engine, upgrade
from calldata.store.scratch import scratch_database
from postgres_admin import admin_url

SIZE = 1000  # CALLDATA_PARTITION_ROWS in these stores
OLD = datetime(2022, 3, 1, 9, 0, tzinfo=UTC)


@contextmanager
def partitioned_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Engine]]:
    """(URL, engine) of a migrated store whose partitions are SIZE acctids wide, dropped afterwards."""
    monkeypatch.setenv("CALLDATA_PARTITION_ROWS", str(SIZE))
    with scratch_database(admin_url(), "calldata_part") as url:
        engine = sync_engine(url)
        upgrade(engine)
        try:
            yield url, engine
        finally:
            engine.dispose()


def leg(i: int, start: datetime = OLD) -> Cdr:
    """Leg number i, starting i minutes after `start`."""
    at = start + timedelta(minutes=i)
    return Cdr(start=at, answer=at + timedelta(seconds=2), end=at + timedelta(seconds=40), src="201", dst="202",
               channel=f"PJSIP/201-{i:08x}", dstchannel=f"PJSIP/202-{i:08x}", uniqueid=f"1700000000.{i}",
               linkedid=f"1700000000.{i}", duration=40, billsec=38, disposition="ANSWERED")


def where_rows_are(engine: Engine) -> dict[str, int]:
    """Partition name -> rows it holds."""
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT tableoid::regclass::text, count(*) FROM cdr GROUP BY 1")).all())
