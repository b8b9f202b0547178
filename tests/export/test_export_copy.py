"""On PostgreSQL the legs CSV is written by COPY (store.csv_copy): its bytes must equal, byte for
byte, what the Python path (`rendered_chunk`) writes from the same store, tricky values included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete

from calldata.calls.export import Export, chunks, header, rendered_chunk
from calldata.store import reads
from calldata.store.schema import PROPERTY_FLAGS, PROPERTY_TEXT, cdr
from rated_world import load_rated_world

START = datetime(2026, 11, 29, 10, 0, 0, 500_000, tzinfo=UTC)
TRICKY = ['"Bob" <100>', "Müller, Jörg <200>", "line1\nline2", "cr\rlf\r\n", "", " spaced ", "\\.", "tab\tsep",
          "日本語 ☎", 'a""b', ",", '"', "\\N", "NULL", "trailing\n"]


def _postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("COPY writes the CSV on PostgreSQL only; SQLite keeps the Python path")


def both_ways(engine: Engine, zone: str, **scope: Any) -> tuple[bytes, bytes]:
    """The legs CSV of the store in `zone`: as the export writes it (COPY) and as Python renders it."""
    reads.prepare(engine, zone)
    engine.dispose()  # connections opened before `prepare` lack its per-connection setup
    export = Export(zone=ZoneInfo(zone), **scope)
    with engine.connect() as conn:
        copied = b"".join(data for data, _ in chunks(conn, export))
        parts, after = [header(export)], 0
        while after is not None:
            data, after, _ = rendered_chunk(conn, export, after)
            parts.append(data)
    return copied, b"".join(parts)


def leg(n: int, text: str, **values: Any) -> dict[str, Any]:
    """A stored leg carrying `text` in its free-text columns and one of its properties."""
    return {"calldate": START + timedelta(minutes=n), "natkey": f"key-{n}", "clid": text, "lastdata": text,
            "userfield": text, "company": text, "xfer": text, "duration": n, **values}


def tricky_legs() -> list[dict[str, Any]]:
    rows = [leg(n, text) for n, text in enumerate(TRICKY)]
    rows.append(leg(len(rows), "acme", answer=START, end=START + timedelta(seconds=61), sequence=7, call="c1",
                    **{flag: True for flag in PROPERTY_FLAGS}))
    rows.append(leg(len(rows), "no properties", **{name: None for name in PROPERTY_TEXT}))
    return rows


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "Asia/Kolkata", "America/St_Johns"])
@pytest.mark.parametrize("batch", [3, 2000])
def test_copy_writes_the_python_bytes_for_tricky_values(engine: Engine, zone: str, batch: int) -> None:
    _postgres_only(engine)
    with engine.begin() as conn:
        conn.execute(cdr.insert(), tricky_legs())
    copied, rendered = both_ways(engine, zone, batch=batch, bom=True)
    assert copied.count(b"\r\n") >= len(TRICKY) + 3
    assert copied == rendered


def test_copy_writes_the_python_bytes_for_the_recorded_runs(world: Engine) -> None:
    _postgres_only(world)
    window = {"min_date": datetime(2026, 11, 29, 12, tzinfo=UTC), "max_date": datetime(2026, 12, 1, tzinfo=UTC)}
    for scope in ({}, {"companies": {"globex"}}, {"companies": {"acme", "globex"}, "batch": 7}, window,
                  {"companies": set()}):
        copied, rendered = both_ways(world, "Europe/Paris", **scope)
        assert copied == rendered, scope
    everything, _ = both_ways(world, "Europe/Paris")
    globex, _ = both_ways(world, "Europe/Paris", companies={"globex"})
    assert 1 < globex.count(b"\r\n") < everything.count(b"\r\n")


def test_copy_writes_the_python_bytes_for_rated_legs(engine: Engine) -> None:
    _postgres_only(engine)
    load_rated_world(engine)
    copied, rendered = both_ways(engine, "UTC")
    assert copied == rendered
    assert b",rated,0.0400,GBP,0.0018,GBP,UK Mobile,Mobile," in copied  # 447700900123 on Sunday, 11 s
    assert b",unrated,0.0400,GBP,,,France,International," in copied  # globexgw has no buy deck


_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_TEXT, min_size=1, max_size=4), flags=st.lists(st.booleans(), min_size=5, max_size=5))
def test_copy_writes_the_python_bytes_for_any_text(engine: Engine, texts: list[str], flags: list[bool]) -> None:
    _postgres_only(engine)
    with engine.begin() as conn:
        conn.execute(delete(cdr))
        conn.execute(cdr.insert(), [leg(n, text, **dict(zip(PROPERTY_FLAGS, flags))) for n, text in enumerate(texts)])
    copied, rendered = both_ways(engine, "Europe/Paris", batch=2)
    assert copied == rendered
