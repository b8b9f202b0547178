"""The recorded stories read through each live source give identical stored rows, and read through
all three into one store, each row once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from calldata.ingest import checkpoints
from calldata.ingest.ami import AmiSource
from calldata.ingest.follow import CsvLines, FileSource
from calldata.ingest.runner import Runner
from calldata.ingest.table import TableSource
from calldata.store.engine import sync_engine, upgrade
from calldata.store.schema import cdr

from amiserver import AmiServer, event_blocks
from livesupport import COLUMNS, STORIES_DIR, STORY_NAMES, PbxTable, all_story_rows, expected_key, stored_count, story_rows, wait_for

WITH_TIMES = (*COLUMNS, "answer", "end")


def _rows(engine: Engine, columns: tuple[str, ...]) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(*(cdr.c[c] for c in columns))))


@contextlib.contextmanager
def _sources(pbx: PbxTable, server: AmiServer, master: Path) -> Iterator[dict[str, object]]:
    yield {
        "table": TableSource("pbx-db", pbx.url, table=pbx.name),
        "ami": AmiSource("pbx-ami", "127.0.0.1", server.port, "calldata", "s3cret", zone=UTC),
        "file": FileSource("pbx-csv", master, CsvLines(UTC)),
    }


def _feed(pbx: PbxTable, server: AmiServer, master: Path) -> None:
    """Each story's rows appear in Asterisk's three outputs, story after story."""
    for story in STORY_NAMES:
        pbx.insert(story_rows(story))
        server.send(*event_blocks(STORIES_DIR / story / "ami.txt"))
        with master.open("ab") as f:
            f.write((STORIES_DIR / story / "Master.csv").read_bytes())


def _run(engine: Engine, sources: list, server: AmiServer, feed) -> None:  # type: ignore[no-untyped-def]
    runner = Runner(engine, sources, wait=0.1)
    runner.start()
    try:
        if any(isinstance(s, AmiSource) for s in sources):
            assert server.logged_in.wait(10)
        feed()
        expected = len(all_story_rows())
        assert wait_for(lambda: stored_count(engine) >= expected)
        assert wait_for(
            lambda: sum(s.inserted + s.present for s in _states(engine)) >= expected * len(sources)
        )
    finally:
        runner.stop.set()
        runner.join(10)


def _states(engine: Engine) -> list[checkpoints.SourceState]:
    with engine.connect() as conn:
        return checkpoints.listing(conn)


@pytest.mark.parametrize("pbx_table", ["postgresql"], indirect=True)
def test_each_source_alone_and_all_together(engine: Engine, pbx_table: PbxTable, tmp_path: Path) -> None:
    master = tmp_path / "Master.csv"
    stored: dict[str, Engine] = {}
    with AmiServer() as server, _sources(pbx_table, server, master) as sources:
        # all three into the store under test: every row once, whichever source came first
        _run(engine, list(sources.values()), server, lambda: _feed(pbx_table, server, master))
        assert _rows(engine, COLUMNS) == sorted(expected_key(r) for r in all_story_rows())
        states = {s.name: s for s in _states(engine)}
        assert sum(s.inserted for s in states.values()) == len(all_story_rows())
        assert all(s.inserted + s.present == len(all_story_rows()) for s in states.values())
        assert all(s.quarantined == 0 for s in states.values())
        # each source alone, replaying the same outputs into a store of its own
        for kind, source in sources.items():
            store = sync_engine(f"sqlite:///{tmp_path / f'{kind}.sqlite3'}")
            upgrade(store)
            replay = {
                "table": lambda: None,  # the table already holds every row
                "ami": lambda: server.send(*(b for s in STORY_NAMES for b in event_blocks(STORIES_DIR / s / "ami.txt"))),
                "file": lambda: None,  # Master.csv already holds every row
            }[kind]
            _run(store, [source], server, replay)
            stored[kind] = store
    assert _rows(stored["table"], COLUMNS) == _rows(stored["ami"], COLUMNS) == _rows(stored["file"], COLUMNS)
    assert _rows(stored["ami"], WITH_TIMES) == _rows(stored["file"], WITH_TIMES)  # the table has no answer/end
    assert _rows(stored["file"], COLUMNS) == _rows(engine, COLUMNS)
