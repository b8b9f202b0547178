"""Every recorded run read through each live source (Asterisk's table, the AMI feed, a followed
Master.csv) into the store under test (SQLite and PostgreSQL) gets exactly the properties its
stories expect, as an import of the file does."""

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
def test_the_table_source_decides_what_the_stories_expect(engine: Engine, pbx_table: PbxTable, run: Path) -> None:
    wanted = _expected(run)
    with (run / "all" / "pg.csv").open(newline="") as f:
        table_rows = list(csv.DictReader(f))
    _ingest(_with_directory(engine), TableSource("pbx-db", pbx_table.url, table=pbx_table.name),
            len(wanted), lambda: pbx_table.insert(table_rows), None)
    assert _mismatches(engine, wanted) == []


@pytest.mark.parametrize("kind", ["ami", "file"])
@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
def test_the_ami_feed_and_a_followed_file_decide_what_the_stories_expect(
        engine: Engine, run: Path, kind: str, tmp_path: Path) -> None:
    wanted = _expected(run)
    master = tmp_path / "Master.csv"
    with AmiServer() as server:
        if kind == "ami":  # each published story's events (all/ami.txt holds more)
            source: object = AmiSource("pbx-ami", "127.0.0.1", server.port, "calldata", "s3cret", zone=UTC)
            def feed() -> None:
                server.send(*(b for s in stories(run) for b in event_blocks(s / "ami.txt")))
        else:
            source = FileSource("pbx-csv", master, CsvLines(UTC))
            def feed() -> None:
                master.write_bytes((run / "all" / "Master.csv").read_bytes())
        _ingest(_with_directory(engine), source, len(wanted), feed, server if kind == "ami" else None)
    assert _mismatches(engine, wanted) == []
