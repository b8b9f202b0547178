"""Every row of every published recorded story gets its expected properties.

Pure decision per story, the whole recording at once (calls must not bleed into each other),
and through the store: row by row in reverse order and in one batch, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from calldata.attribution import versions
from calldata.attribution.calls import id_order
from calldata.attribution.lookup import Lookup
from calldata.attribution.properties import PROPERTIES, decide
from calldata.ingest.sink import store_batch
from calldata.store.schema import cdr
from stories import DIRECTORY_YAML, STORIES, expected, read_master_csv, story_names


def _mismatches(records, props, wanted) -> list[str]:
    problems = []
    for record, values in zip(records, props):
        want = wanted[(record.uniqueid, record.sequence)]
        got = dict(zip(PROPERTIES, values))
        for name, value in want.items():
            if got[name] != value:
                problems.append(f"{record.uniqueid}/{record.sequence} {name}: got {got[name]!r}, want {value!r}")
    return problems


@pytest.mark.parametrize("story", story_names())
def test_story(story: str, world: Lookup) -> None:
    records = read_master_csv(STORIES / story / "Master.csv")
    wanted = expected(story)
    assert len(records) == len(wanted)
    call_of, props = decide(records, world)
    assert _mismatches(records, props, wanted) == []
    # one story is one call, named after its smallest linkedid
    assert set(call_of) == {min((r.linkedid for r in records), key=id_order)}


def test_all_stories_together(world: Lookup) -> None:
    records = read_master_csv(STORIES / "all" / "Master.csv")
    wanted = {}
    for story in story_names():
        wanted.update(expected(story))
    call_of, props = decide(records, world)
    assert _mismatches(records, props, wanted) == []
    assert len(set(call_of)) == len({r.linkedid for r in records})


def _stored(engine: Engine) -> dict[tuple[str, int], dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(cdr)).all()
    return {(r.uniqueid, r.sequence): r._mapping for r in rows}


@pytest.mark.parametrize("batching", ["one batch", "row by row, reversed"])
def test_stories_through_the_store(engine: Engine, batching: str) -> None:
    records = read_master_csv(STORIES / "all" / "Master.csv")
    with engine.begin() as conn:
        versions.save(conn, DIRECTORY_YAML.read_text(), str(DIRECTORY_YAML))
    with engine.begin() as conn:
        if batching == "one batch":
            store_batch(conn, records)
        else:
            for record in reversed(records):
                store_batch(conn, [record])
    stored = _stored(engine)
    for story in story_names():
        for key, want in expected(story).items():
            row = stored[key]
            assert {k: row[k] for k in want} == want, f"{story} {key}"
            assert row["directory_version"] == 1
    by_link = {}
    for row in stored.values():
        by_link.setdefault(row["linkedid"], set()).add(row["call"])
    assert all(calls == {link} for link, calls in by_link.items())


def test_storing_without_a_directory_leaves_properties_undecided(engine: Engine) -> None:
    records = read_master_csv(STORIES / "16-acme-park-701-retrieved-by-203" / "Master.csv")
    with engine.begin() as conn:
        result = store_batch(conn, records)
    assert result.inserted == len(records)
    for row in _stored(engine).values():
        assert row["company"] is None and row["target"] is None and row["directory_version"] is None
        assert row["call"] == "1795918058.63"
