"""An archive imported back: its legs' JSON is rendered again as they are restored (an archive keeps
no rendered JSON), equal to the rows rendered from their columns, in any display zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from calldata.ingest.importer import import_file
from calldata.retention.keep import cutoff
from calldata.retention.partition import COLUMNS
from calldata.retention.run import run
from calldata.store.cdrs import insert_cdrs
from calldata.store.partitions import Partition
from calldata.store.schema import RENDERED_COLUMNS
from partitioned_store import leg, partitioned_store
from row_json_check import assert_stored_json_is_fresh

pytestmark = pytest.mark.postgres


def _quiet(_part: Partition, _rows: int) -> Any:
    return lambda _written: None


def test_restored_legs_get_their_json_rendered_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert not set(RENDERED_COLUMNS) & set(COLUMNS)
    with partitioned_store(monkeypatch) as (_, engine):
        with engine.begin() as conn:
            insert_cdrs(conn, [leg(i) for i in range(1999)])  # partitions from 0 and 1000, full
            conn.execute(text("UPDATE cdr SET company = 'acme', call = 'c' || acctid, rating = 'rated',"
                              " price = acctid * 1000, is_ivr = acctid % 7 = 0, lastdata = E'a\\tb\\\\c\\nd'"
                              " WHERE acctid % 2 = 0"))
        before = assert_stored_json_is_fresh(engine)
        done = run(engine, cutoff("24mo", datetime.now(UTC) + timedelta(days=1)), tmp_path, _quiet)
        assert len(done) == 2
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM cdr")).scalar_one() == 0
        for path in sorted(tmp_path.iterdir()):
            assert import_file(engine, path, UTC).inserted
        assert assert_stored_json_is_fresh(engine) == before
