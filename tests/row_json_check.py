"""Each row's stored JSON (PostgreSQL, migration 0017_row_json) held equal to the row rendered from
its columns now, as SQLite renders it: the check every writer of cdr rows must pass."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import Engine, text

from calldata.store import reads
from calldata.store.engine import sync_engine

# UTC, and a zone off the hour whose offset changes in the year (-03:30 / -02:30)
ZONES = ("UTC", "America/St_Johns")


def stored_and_fresh(url: str, zone: str, cachedata: bool) -> tuple[list[Any], list[Any]]:
    """Every row of the store at `url` read in `zone`, 7 a page: from the stored JSON (what the API
    serves on PostgreSQL) and rendered from the columns (each page the same bytes), both decoded."""
    engine = sync_engine(url)
    reads.prepare(engine, zone)
    stored: list[Any] = []
    fresh: list[Any] = []
    try:
        with engine.connect() as conn:
            min_id = 0
            while True:
                query = reads.PageQuery(min_id, 7, cachedata=cachedata)
                pages = [reads.to_page(reads.fetch(conn, *reads.page_statement("postgresql", query, stored)),
                                       cachedata, stored=stored) for stored in (True, False)]
                assert pages[0].count == pages[1].count and pages[0].last_acctid == pages[1].last_acctid
                assert pages[0].values == pages[1].values  # byte for byte, not only in meaning
                stored += msgspec.json.decode(pages[0].values)
                fresh += msgspec.json.decode(pages[1].values)
                if pages[0].last_acctid is None:
                    return stored, fresh
                min_id = pages[0].last_acctid + 1
    finally:
        engine.dispose()


def assert_stored_json_is_fresh(engine: Engine) -> list[Any]:
    """The stored JSON of every row equals its fresh rendering, in both zones, with and without
    cachedata; the cachedata rows (in UTC) are returned for the caller's own checks."""
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM cdr WHERE json_base IS NULL OR json_cache IS NULL"
                                 " OR json_properties IS NULL")).scalar_one() == 0
    url = engine.url.render_as_string(hide_password=False)
    rows: list[Any] = []
    for zone in ZONES:
        for cachedata in (False, True):
            stored, fresh = stored_and_fresh(url, zone, cachedata)
            assert stored and stored == fresh
            if cachedata and zone == "UTC":
                rows = stored
    return rows
