"""The published recorded stories, read for the tests (Master.csv + expected.json)."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

from recordings import DIRECTORY_YAML, RUNS, STORIES, all_stories, stories

from calldata.cdr import Cdr
from calldata.ingest import csvfile

__all__ = ["DIRECTORY_YAML", "RUNS", "STORIES", "all_stories", "expected", "read_master_csv", "run_expected", "stories"]


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


def expected(story: Path) -> dict[tuple[str, int], dict]:
    """The expected properties of each row of a story, keyed by (uniqueid, sequence)."""
    rows = json.loads((story / "expected.json").read_text())["rows"]
    return {(r["uniqueid"], r["sequence"]): r["properties"] for r in rows}


def run_expected(run: Path) -> dict[tuple[str, int], dict]:
    """Every published story's expected properties in one run (what its all/ must get)."""
    wanted: dict[tuple[str, int], dict] = {}
    for story in stories(run):
        wanted.update(expected(story))
    return wanted
