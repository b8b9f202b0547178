"""`calldata retention`: which partitions go, and each archived, verified, then dropped (PostgreSQL).

Only the oldest partitions go, in order, and only while every leg of one is older than the
cutoff: the first partition holding a newer leg stops the run, so what stays is always every leg
from some acctid on (a client paging by minID never meets a hole that later fills).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine, text

from calldata.retention import archive
from calldata.retention.partition import Changed, Held, drop, held, write
from calldata.store import partitions
from calldata.store.partitions import Partition


class RetentionError(RuntimeError):
    """Why retention cannot go on, in one line (what was dropped before it stays dropped, archived)."""


class Candidate(NamedTuple):
    """A partition looked at: its legs, its newest leg's start, and why it stays (None: it goes)."""

    partition: Partition
    rows: int
    newest: datetime | None
    kept: str | None


class Plan(NamedTuple):
    """What a run would do: the partitions that go (oldest first), and the one that stops it."""

    going: list[Candidate]
    stop: Candidate | None


# Called when a partition's archive starts, with it and its legs; returns what gets the legs written so far.
Progress = Callable[[Partition, int], Callable[[int], None]]


def writable(directory: Path) -> None:
    """RetentionError unless `directory` is a folder a file can be created in (tried, not guessed)."""
    if not directory.is_dir():
        raise RetentionError(f"archive folder {directory} does not exist or is not a folder: nothing dropped")
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".calldata-write-test"):
            pass
    except OSError as exc:
        raise RetentionError(f"cannot write in archive folder {directory} ({exc.strerror or exc}): nothing dropped") from None


def plan(engine: Engine, cutoff: datetime) -> Plan:
    """The partitions, oldest first, while every leg is older than `cutoff` and the identity
    sequence has passed them (no new leg can land in them)."""
    going: list[Candidate] = []
    with engine.connect() as conn:
        following = partitions.next_acctid(conn)
        for part in partitions.partitions(conn):
            rows, newest = conn.execute(text(f"SELECT count(*), max(calldate) FROM {part.name}")).one()
            if part.upper > following:
                return Plan(going, Candidate(part, rows, newest, "still takes new legs"))
            if newest is not None and newest >= cutoff:
                return Plan(going, Candidate(part, rows, newest, "holds legs not older than the cutoff"))
            going.append(Candidate(part, rows, newest, None))
    return Plan(going, None)


def run(engine: Engine, cutoff: datetime, directory: Path, progress: Progress) -> list[tuple[Candidate, Path]]:
    """Archive, verify and drop each partition the plan lets go; the archives written (or found,
    verified, from an earlier run stopped before its drop). RetentionError at the first problem."""
    writable(directory)
    done = []
    for candidate in plan(engine, cutoff).going:
        done.append((candidate, _archive_and_drop(engine, candidate, cutoff, directory, progress)))
    return done


def _archive_and_drop(engine: Engine, candidate: Candidate, cutoff: datetime, directory: Path, progress: Progress) -> Path:
    part = candidate.partition
    final = directory / archive.file_name(part.lower, part.upper)
    partial = directory / f".{final.name}.partial"
    if final.exists():  # an earlier run archived it and stopped before (or while) dropping
        with engine.connect() as conn:
            snapshot = held(conn, part)
        if _read_back(final) != snapshot.digest:
            raise RetentionError(f"{final} exists and does not hold {part.name}'s legs: move it away; nothing dropped")
        _drop(engine, part, snapshot, cutoff, lambda: None)
        return final
    partial.unlink(missing_ok=True)  # left by a run interrupted while writing
    try:
        snapshot = write(engine, part, partial, progress(part, candidate.rows))
        if (read := _read_back(partial)) != snapshot.digest:
            raise RetentionError(f"{partial} read back {read.rows} legs, natural keys {read.natkeys[:12]}, not"
                                 f" {snapshot.digest.rows}, {snapshot.digest.natkeys[:12]}: {part.name} kept")
        _drop(engine, part, snapshot, cutoff, lambda: _publish(partial, final))
    except OSError as exc:
        raise RetentionError(f"cannot write {partial} ({exc.strerror or exc}): {part.name} kept") from None
    finally:
        partial.unlink(missing_ok=True)
    return final


def _read_back(path: Path) -> archive.Digest:
    try:
        return archive.digest(path)
    except (archive.ArchiveError, EOFError, OSError) as exc:
        raise RetentionError(f"{path} does not read back ({exc}): nothing of it dropped") from None


def _drop(engine: Engine, part: Partition, snapshot: Held, cutoff: datetime, commit_archive: Callable[[], None]) -> None:
    try:
        drop(engine, part, snapshot, cutoff, commit_archive)
    except Changed as exc:
        raise RetentionError(str(exc)) from None


def _publish(partial: Path, final: Path) -> None:
    """The verified archive under its final name, the rename itself on disk."""
    os.replace(partial, final)
    folder = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
