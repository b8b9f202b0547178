"""What an export must hold: the stored rows as /rest/call/read (cachedata) gives them, flattened for CSV."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import Engine

from calldata.calls.export import LEG_FIELDS
from calldata.store import reads
from calldata.store.reads import PageQuery
from calldata.store.schema import PROPERTY_FLAGS, PROPERTY_TEXT

ZONE = "Europe/Paris"


def read_rows(engine: Engine, companies: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Every stored leg (of `companies`) as /rest/call/read with cachedata answers it, times in ZONE."""
    reads.prepare(engine, ZONE)
    engine.dispose()  # connections opened before `prepare` lack its per-connection setup
    with engine.connect() as conn:
        page = reads.read_page(conn, PageQuery(max_rows=1_000_000, cachedata=True, companies=companies))
    return json.loads(page.values)


def as_csv(row: dict[str, Any]) -> dict[str, str]:
    """A read row as a CSV row of the legs export: every field as text, undecided "", flags 0/1."""
    flat = {name: str(value) for name, value in row.items() if name != "properties"}
    flat |= {name: row["properties"].get(name, "") for name in PROPERTY_TEXT}
    flat |= {name: "1" if row["properties"].get(name) else "0" for name in PROPERTY_FLAGS}
    assert list(flat) == list(LEG_FIELDS)
    return flat
