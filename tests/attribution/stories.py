"""The published recorded stories, read for the tests (Master.csv + expected.json).

A tiny test-only Master.csv reader stands in until `calldata.ingest.csvfile` exists; once it
does, the stories are read with it.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from calldata.cdr import Cdr, normalise_amaflags, normalise_disposition

STORIES = Path(__file__).resolve().parents[2].parent / "shared" / "asterisk-real"

_COLUMNS = ("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
            "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
            "uniqueid", "userfield", "peeraccount", "linkedid", "sequence")


def _time(text: str) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) if text else None


def _read_fallback(path: Path) -> list[Cdr]:
    records = []
    with path.open(newline="") as handle:
        for row in csv.reader(handle):
            f = dict(zip(_COLUMNS, row, strict=True))
            records.append(Cdr(
                start=_time(f["start"]), answer=_time(f["answer"]), end=_time(f["end"]),
                clid=f["clid"], src=f["src"], dst=f["dst"], dcontext=f["dcontext"],
                channel=f["channel"], dstchannel=f["dstchannel"], lastapp=f["lastapp"],
                lastdata=f["lastdata"], duration=int(f["duration"]), billsec=int(f["billsec"]),
                disposition=normalise_disposition(f["disposition"]),
                amaflags=normalise_amaflags(f["amaflags"]), accountcode=f["accountcode"],
                uniqueid=f["uniqueid"], linkedid=f["linkedid"], peeraccount=f["peeraccount"],
                sequence=int(f["sequence"]), userfield=f["userfield"],
            ))
    return records


def read_master_csv(path: Path) -> list[Cdr]:
    try:
        from calldata.ingest import csvfile  # type: ignore[attr-defined]
    except ImportError:
        return _read_fallback(path)
    return csvfile.read_records(path)  # pragma: no cover - switched on when the parser lands


def story_names() -> list[str]:
    return sorted(p.name for p in STORIES.iterdir() if (p / "expected.json").exists())


def expected(name: str) -> dict[tuple[str, int], dict]:
    rows = json.loads((STORIES / name / "expected.json").read_text())["rows"]
    return {(r["uniqueid"], r["sequence"]): r["properties"] for r in rows}
