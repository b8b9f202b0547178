"""Importing CSV CDR files and queue_log files into the store: parse, batch, store, quarantine what does not parse."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import tzinfo
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Engine

from calldata.ingest.batches import FileBatch, batched, open_file, parsed_in_child
from calldata.ingest.csvfile import detect_layout, raw_records, read_cdrs
from calldata.ingest.layouts import Layout
from calldata.ingest.queuelog import QUEUE_LOG, is_queue_log, read_events
from calldata.ingest.sink import store_batch, store_queue_events
from calldata.queues.event import Repeats
from calldata.retention.archive import is_archive
from calldata.retention.restore import restore
from calldata.store.quarantine import Rejected

BATCH_SIZE = 5000  # records per transaction
# A CSV file from this size on is parsed in a child process (whose start, ~0.1 s, it then repays).
CHILD_FROM = 2_000_000
DETECT_RECORDS = 200  # records read to detect a file's layout
# a calldata archive (calldata.retention.archive): restored as archived, acctids kept
ARCHIVE = Layout("cdr archive", ())
NO_RECORDS = "(no records)"  # the layout of a file with nothing in it yet, e.g. a freshly rotated Master.csv


class FileImport(msgspec.Struct):
    """What importing one file did. `read` = inserted + present + quarantined."""

    path: str
    layout: str
    read: int = 0
    inserted: int = 0
    present: int = 0
    quarantined: int = 0  # lines rejected by this import
    newly_quarantined: int = 0  # of those, not already in the quarantine from an earlier import


def source_name(path: Path) -> str:
    """The file's quarantine `source`: its absolute path, so every way of naming it agrees."""
    return str(path.resolve())


def file_layout(path: Path) -> Layout | None:
    """The layout of the file's first records (`QUEUE_LOG` for a queue_log); None if it has none
    (`LayoutError` if none fits).

    Raises `OSError` for a path that is missing, a folder or unreadable, and `EOFError` for a
    truncated `.gz`, so the importer can check every file before it stores anything.
    """
    with open_file(path) as (stream, _):
        if is_archive(stream):
            return ARCHIVE
        stream.seek(0)
        if is_queue_log(stream):
            return QUEUE_LOG
        stream.seek(0)
        records = list(raw_records(stream, limit=DETECT_RECORDS))
    return detect_layout(records) if records else None


def import_file(
    engine: Engine,
    path: Path,
    zone: tzinfo,
    *,
    layout: Layout | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
    in_child: bool | None = None,
) -> FileImport:
    """Import one file, one transaction per batch; re-importing it stores nothing twice.

    The layout is detected from the file's first records unless given (`LayoutError` if none
    fits; a file without records imports nothing); `QUEUE_LOG` imports queue_log events, whose
    repeats are numbered from the file's start as the live follower numbers them; `ARCHIVE`
    restores an archive written by `calldata retention` (ArchiveError where it cannot). A `.gz`
    file (a rotated log) is read decompressed. `progress` is called with the bytes of the file read so far after each batch.
    Once `stop` is set the batch being read is dropped, so only whole batches are ever stored.
    A CSV file is parsed in a child process while the batch before is stored when `in_child`
    (default: from CHILD_FROM bytes on).
    """
    source = source_name(path)
    if layout is None:
        layout = file_layout(path)
        if layout is None:
            return FileImport(path=source, layout=NO_RECORDS)
    summary = FileImport(path=source, layout=layout.name)
    if layout is ARCHIVE:
        return _restored(engine, path, summary, batch_size, progress, stop)
    if in_child is None:
        in_child = layout is not QUEUE_LOG and path.stat().st_size >= CHILD_FROM
    with _batches(path, layout, zone, batch_size, in_child) as batches:
        for batch in batches:
            if stop is not None and stop.is_set():
                break
            bad = [Rejected(source, str(b.line), b.raw, b.reason) for b in batch.bad]
            with engine.begin() as conn:
                if layout is QUEUE_LOG:
                    stored = store_queue_events(conn, batch.records, bad)
                else:
                    stored = store_batch(conn, batch.records, bad, keys=batch.keys)
            summary.inserted += stored.inserted
            summary.present += stored.present
            summary.newly_quarantined += stored.quarantined
            summary.quarantined += len(bad)
            summary.read += len(batch.records) + len(bad)
            if progress is not None:
                progress(batch.read_to)
    return summary


@contextmanager
def _batches(path: Path, layout: Layout, zone: tzinfo, size: int, in_child: bool) -> Iterator[Iterator[FileBatch[Any]]]:
    """The file's batches, parsed in a child process (CSV only) or here."""
    if in_child and layout is not QUEUE_LOG:
        with parsed_in_child(path, layout, zone, size) as batches:
            yield batches
        return
    with open_file(path) as (stream, on_disk):
        if layout is QUEUE_LOG:
            yield batched(read_events(stream, Repeats()), on_disk, size, keyed=False)
        else:
            yield batched(read_cdrs(stream, layout, zone), on_disk, size, keyed=True)


def _restored(engine: Engine, path: Path, summary: FileImport, batch_size: int,
              progress: Callable[[int], None] | None, stop: threading.Event | None) -> FileImport:
    """An archive's legs put back; `progress` gets the bytes of the file read after each batch."""
    with open_file(path) as (stream, on_disk):
        done = restore(engine, stream, summary.path, batch_size,
                       None if progress is None else lambda: progress(on_disk.tell()), stop)
    summary.read, summary.inserted, summary.present = done
    return summary
