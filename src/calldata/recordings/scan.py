"""`calldata recordings scan`: the `recording` table brought in step with the directory.

Idempotent: a file already stored with the same size and modification time and tied to its leg
is left alone; a changed file is read again; a file not yet tied (its CDR is written when the
call ends, often after MixMonitor's file appears) is matched again on every scan; a file gone
from the directory is forgotten. Work is committed every BATCH files, so an interrupted scan
keeps what it did and the next one goes on from there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, bindparam, delete, insert, or_, select, update

from calldata.recordings import files
from calldata.recordings.match import Leg, leg_for, names, uniqueids
from calldata.recordings.schema import recording
from calldata.store.schema import cdr

BATCH = 500


@dataclass
class ScanReport:
    """What a scan found and did."""

    files: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    untied: list[str] = field(default_factory=list)  # files no leg names (yet)
    refused: list[str] = field(default_factory=list)  # links leading outside the directory


def scan(engine: Engine, root: Path, progress: Callable[[int, int], None] | None = None) -> ScanReport:
    """Bring `recording` in step with the audio files under `root`; `progress(done, total)` after each batch."""
    found = files.listing(root)
    with engine.connect() as conn:
        known = {row.path: row for row in conn.execute(
            select(recording.c.path, recording.c.id, recording.c.size, recording.c.mtime, recording.c.acctid))}
    work = [rel for rel, stat in found.files.items() if _needs_work(known.get(rel), stat)]
    report = ScanReport(files=len(found.files), refused=found.refused)
    for start in range(0, len(work), BATCH):
        chunk = [files.described(root, rel, found.files[rel]) for rel in work[start:start + BATCH]]
        with engine.begin() as conn:
            _store(conn, chunk, {rel: row.id for rel, row in known.items()}, str(root), report)
        if progress is not None:
            progress(start + len(chunk), len(work))
    gone = [known[rel].id for rel in known.keys() - found.files.keys()]
    with engine.begin() as conn:
        for start in range(0, len(gone), BATCH):
            conn.execute(delete(recording).where(recording.c.id.in_(gone[start:start + BATCH])))
    report.removed = len(gone)
    return report


def _needs_work(row: Row[Any] | None, stat: os.stat_result) -> bool:
    """New, changed since stored, or not tied to a leg yet."""
    if row is None:
        return True
    return row.acctid is None or row.size != stat.st_size or row.mtime != files.described_mtime(stat)


def _store(conn: Connection, chunk: Sequence[files.AudioFile], ids: dict[str, int], root: str,
           report: ScanReport) -> None:
    legs = candidate_legs(conn, [audio.path for audio in chunk], root)
    new, changed = [], []
    for audio in chunk:
        leg = leg_for(audio.path, root, legs)
        if leg is None:
            report.untied.append(audio.path)
        values = {**audio._asdict(), "acctid": leg and leg.acctid, "uniqueid": leg.uniqueid if leg else ""}
        if audio.path in ids:
            changed.append({**values, "row_id": ids[audio.path]})
        else:
            new.append(values)
    if new:
        conn.execute(insert(recording), new)
    if changed:
        conn.execute(update(recording).where(recording.c.id == bindparam("row_id")), changed)
    report.added += len(new)
    report.updated += len(changed)


def candidate_legs(conn: Connection, paths: Sequence[str], root: str) -> list[Leg]:
    """The legs whose call_rec names one of the files or whose uniqueid is in one's name."""
    spelled = sorted({name for path in paths for name in names(path, root)})
    ids = sorted({uniqueid for path in paths for uniqueid in uniqueids(path)})
    query = select(cdr.c.acctid, cdr.c.uniqueid, cdr.c.call_rec, cdr.c.disposition).where(
        or_(and_(cdr.c.call_rec != "", cdr.c.call_rec.in_(spelled)), cdr.c.uniqueid.in_(ids)))
    return [Leg(acctid, uniqueid, call_rec or "", disposition)
            for acctid, uniqueid, call_rec, disposition in conn.execute(query)]
