"""Every recorded run read through each live source (Asterisk's table, the AMI feed, a followed
Master.csv) gets exactly the properties its stories expect, as an import of the file does."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import pytest
from amiserver import AmiServer, event_blocks
from livesupport import PbxTable, stored_count, wait_for
from recordings import DIRECTORY_YAML, RUNS, stories
from sqlalchemy import Engine, select

from calldata.attribution import versions
from calldata.ingest.ami import AmiSource
from calldata.ingest.follow import CsvLines, FileSource
from calldata.ingest.runner import Runner
from calldata.ingest.table import TableSource
from calldata.store.engine import sync_engine, upgrade
from calldata.store.schema import cdr


def _expected(run: Path) -> dict[tuple[str, int], dict]:
    wanted: dict[tuple[str, int], dict] = {}
    for story in stories(run):
        for row in json.loads((story / "expected.json").read_text())["rows"]:
            wanted[(row["uniqueid"], row["sequence"])] = row["properties"]
    return wanted


def _with_directory(engine: Engine) -> Engine:
    with engine.begin() as conn:
        versions.save(conn, DIRECTORY_YAML.read_text(), str(DIRECTORY_YAML))
    return engine


def _ingest(engine: Engine, source: object, rows: int, feed: Callable[[], None], server: AmiServer | None) -> None:
    runner = Runner(engine, [source], wait=0.1)
    runner.start()
    try:
        if server is not None:
            assert server.logged_in.wait(10)
        feed()
        assert wait_for(lambda: stored_count(engine) >= rows)
    finally:
        runner.stop.set()
        runner.join(10)


def _mismatches(engine: Engine, wanted: dict[tuple[str, int], dict]) -> list[str]:
    with engine.connect() as conn:
        stored = {(r.uniqueid, r.sequence): r._mapping for r in conn.execute(select(cdr))}
    assert set(stored) == set(wanted)
    return [f"{key} {name}: got {stored[key][name]!r}, want {value!r}"
            for key, want in wanted.items() for name, value in want.items() if stored[key][name] != value]


@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
@pytest.mark.parametrize("pbx_table", ["postgresql"], indirect=True)
def test_each_source_decides_what_the_stories_expect(
        engine: Engine, pbx_table: PbxTable, run: Path, tmp_path: Path) -> None:
    wanted = _expected(run)
    with (run / "all" / "pg.csv").open(newline="") as f:
        table_rows = list(csv.DictReader(f))
    # Asterisk's table, into the store under test (SQLite and PostgreSQL)
    _ingest(_with_directory(engine), TableSource("pbx-db", pbx_table.url, table=pbx_table.name),
            len(wanted), lambda: pbx_table.insert(table_rows), None)
    assert _mismatches(engine, wanted) == []
    # the AMI feed (each published story's events: all/ami.txt holds more) and a followed
    # Master.csv, each into a store of its own
    master = tmp_path / "Master.csv"
    with AmiServer() as server:
        for kind, source, feed in (
            ("ami", AmiSource("pbx-ami", "127.0.0.1", server.port, "calldata", "s3cret", zone=UTC),
             lambda: server.send(*(b for s in stories(run) for b in event_blocks(s / "ami.txt")))),
            ("file", FileSource("pbx-csv", master, CsvLines(UTC)),
             lambda: master.write_bytes((run / "all" / "Master.csv").read_bytes())),
        ):
            store = sync_engine(f"sqlite:///{tmp_path / f'{kind}.sqlite3'}")
            upgrade(store)
            _ingest(_with_directory(store), source, len(wanted), feed, server if kind == "ami" else None)
            assert _mismatches(store, wanted) == [], kind
            store.dispose()
