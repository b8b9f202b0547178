"""The demo's steps on a real store (SQLite and PostgreSQL): directory, fill, resume, attribution."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from demo_support import DIRECTORY_YAML, world
from sqlalchemy import Engine, func, select

from calldata.attribution import versions
from calldata.config import Settings
from calldata.demo import demo
from calldata.demo.generator import generate
from calldata.ingest.sink import store_batch
from calldata.store.schema import PROPERTY_TEXT, cdr

START = datetime(2026, 11, 2, tzinfo=UTC)


def test_directory_is_loaded_once(engine: Engine) -> None:
    text = DIRECTORY_YAML.read_text()
    first = demo.load_directory(engine, text, "example")
    assert demo.load_directory(engine, text, "example") == first
    changed = demo.load_directory(engine, text + "\n# edited\n", "example")
    assert changed != first
    with engine.connect() as conn:
        assert versions.count(conn) == 2


def test_a_store_with_other_cdrs_is_refused_and_left_alone(engine: Engine) -> None:
    text = DIRECTORY_YAML.read_text()
    real = list(generate(world(), rows=5, seed=1, start=START))
    with engine.begin() as conn:  # an operator's own store: their directory, their rows
        versions.save(conn, text, "/etc/calldata/directory.yaml")
        store_batch(conn, real)
    with pytest.raises(demo.NotADemoStore):
        demo.load_directory(engine, text, "example")
    with engine.connect() as conn:
        assert versions.count(conn) == 1
    assert demo.stored_rows(engine) == 5


def test_a_store_with_cdrs_and_no_directory_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        store_batch(conn, list(generate(world(), rows=3, seed=1, start=START)))
    with pytest.raises(demo.NotADemoStore):
        demo.load_directory(engine, DIRECTORY_YAML.read_text(), "example")


def test_fill_stores_every_row_attributed_and_a_rerun_adds_nothing(engine: Engine) -> None:
    directory = world()
    demo.load_directory(engine, DIRECTORY_YAML.read_text(), "example")
    seen: list[int] = []
    stored = demo.fill(engine, directory, rows=1200, seed=5, start=START, days=3, batch_size=500,
                       progress=seen.append)
    assert (stored.inserted, stored.present) == (1200, 0)
    assert seen == [500, 1000, 1200]
    assert demo.stored_rows(engine) == 1200
    with engine.connect() as conn:
        undecided = {name: conn.execute(select(func.count()).where(cdr.c[name].is_(None))).scalar_one()
                     for name in PROPERTY_TEXT}
        flags = conn.execute(select(func.count()).where(cdr.c.is_park)).scalar_one()
        stored_ids = set(conn.execute(select(cdr.c.uniqueid, cdr.c.sequence)).all())
    assert undecided == dict.fromkeys(PROPERTY_TEXT, 0)  # the example directory explains every row
    parked = [r for r in generate(directory, rows=1200, seed=5, start=START, days=3)
              if r.lastapp in ("Park", "ParkedCall")]
    assert flags == len(parked)
    assert stored_ids == {(r.uniqueid, r.sequence) for r in generate(directory, rows=1200, seed=5, start=START, days=3)}
    again = demo.fill(engine, directory, rows=1200, seed=5, start=START, days=3, batch_size=500)
    assert (again.inserted, again.present) == (0, 1200)


def test_an_interrupted_fill_resumes_on_the_same_days(engine: Engine) -> None:
    directory = world()
    today = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)
    start = demo.period_start(engine, 28, today)
    assert start == datetime(2026, 11, 12, tzinfo=UTC)
    rows = list(generate(directory, rows=600, seed=0, start=start, days=2))
    with engine.begin() as conn:  # half of it was stored before the interruption
        store_batch(conn, rows[:300])
    assert demo.period_start(engine, 28, datetime(2027, 1, 1, tzinfo=UTC)) == start
    resumed = demo.fill(engine, directory, rows=600, seed=0, start=start, days=2)
    assert (resumed.inserted, resumed.present) == (300, 300)


def test_demo_accounts_and_the_printed_curl(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(host="0.0.0.0", port=8123)
    lines = demo.accounts(engine, settings, "acme", tmp_path / "demo.credentials")
    curls = [line for line in lines if "curl" in line]
    assert curls and all("http://127.0.0.1:8123/rest/call/read" in line for line in curls)
    assert demo.store_url(None) == "sqlite:///calldata-demo.sqlite3"
    assert demo.store_url("postgresql://x/y") == "postgresql://x/y"


def test_where_the_demo_keeps_its_credentials() -> None:
    assert demo.credentials_path("sqlite:///calldata-demo.sqlite3") == Path("calldata-demo.sqlite3.credentials")
    assert demo.credentials_path("sqlite:////srv/demo/store.db") == Path("/srv/demo/store.db.credentials")
    assert demo.credentials_path("postgresql://demo@db/calldata") == Path("calldata-demo.credentials")
