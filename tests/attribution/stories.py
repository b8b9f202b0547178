"""The published recorded stories, read for the tests (Master.csv + expected.json)."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

from recordings import DIRECTORY_YAML, STORIES

from calldata.cdr import Cdr
from calldata.ingest import csvfile


def read_master_csv(path: Path) -> list[Cdr]:
    """A story's rows, through the product's own CSV parser (times are UTC: usegmtime)."""
    with path.open("rb") as stream:
        layout = csvfile.detect_layout(csvfile.raw_records(stream, limit=20))
    records = []
    with path.open("rb") as stream:
        for parsed in csvfile.read_cdrs(stream, layout, UTC):
            assert isinstance(parsed.result, Cdr), f"{path}:{parsed.line}: {parsed.result}"
            records.append(parsed.result)
    return records


def story_names() -> list[str]:
    return sorted(p.name for p in STORIES.iterdir() if (p / "expected.json").exists())


def expected(name: str) -> dict[tuple[str, int], dict]:
    """The expected properties of each row of a story, keyed by (uniqueid, sequence)."""
    rows = json.loads((STORIES / name / "expected.json").read_text())["rows"]
    return {(r["uniqueid"], r["sequence"]): r["properties"] for r in rows}
