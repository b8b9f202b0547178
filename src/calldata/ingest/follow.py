"""A growing log file (Master.csv, queue_log), followed like `tail -F`: across rotation and
truncation, resuming at the byte.

The position names the file by device and inode plus a fingerprint of its first bytes, and
holds the byte offset and line number just past the last stored record. After a restart the
followed path is checked against it: same file -> resume at the offset; rotated away -> the old
file is looked for beside it (Master.csv.1, Master.csv-20261129...) and finished first; shorter
than the offset or a different fingerprint -> truncated and rewritten, read from the start.
What the lines hold is the follower's `LineFormat`: `CsvLines` here (`calldata.ingest.csvfile`'s
parsing), `QueueLogLines` in `calldata.ingest.queuelog`; each parses line for line the same as
`calldata import`.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from collections.abc import Iterator
from datetime import tzinfo
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import msgspec

from calldata.ingest.csvfile import LayoutError, Parsed, decode, detect_layout, raw_records, read_cdrs
from calldata.ingest.layouts import Layout, layout_from_spec
from calldata.ingest.sink import CDRS, Sink
from calldata.ingest.source import Batch, Poller
from calldata.queues.event import Repeats
from calldata.store.quarantine import Rejected

log = logging.getLogger("calldata.ingest")

HEAD_BYTES = 256  # how much of a file's start tells it apart from another with the same inode
DETECT_RECORDS = 50


class FilePosition(msgspec.Struct, omit_defaults=True):
    """Where a follower is: which file (dev, ino, head fingerprint) and where in it; what its
    format learnt from the lines before `offset` (the CSV layout, queue_log's repeats)."""

    dev: int = 0
    ino: int = 0
    head: str = ""
    offset: int = 0
    line: int = 1
    layout: str = ""
    repeats: Repeats | None = None


class LineFormat(Protocol):
    """What a followed file's lines hold, and how they are parsed from a position on."""

    kind: str  # the source's kind in checkpoints and metrics
    sink: Sink

    def fresh(self, dev: int, ino: int) -> FilePosition:
        """The position at the start of a file (what the format knows before reading it)."""
        ...

    def ready(self, stream: BinaryIO, pos: FilePosition) -> FilePosition | None:
        """`pos` completed with what parsing needs (CSV: the layout); None: wait for more lines."""
        ...

    def parse(self, stream: BinaryIO, pos: FilePosition, *, final: bool) -> Iterator[Parsed[Any]]:
        """The records from `pos.offset` (the stream is there); `final=False` leaves a line still
        being written. A format that numbers records keeps that state in `pos` as it goes."""
        ...


def _head(stream: BinaryIO, upto: int) -> str:
    stream.seek(0)
    return hashlib.blake2b(stream.read(min(upto, HEAD_BYTES)), digest_size=8).hexdigest()


class CsvLines:
    """Master.csv: CSV CDRs in the layout given, or detected from the file's first complete records."""

    kind = "file"
    sink = CDRS

    def __init__(self, zone: tzinfo, layout: str = "auto") -> None:
        self.forced: Layout | None = None if layout == "auto" else layout_from_spec(layout)
        self.zone = zone

    def fresh(self, dev: int, ino: int) -> FilePosition:
        return FilePosition(dev=dev, ino=ino, layout=self.forced.name if self.forced else "")

    def ready(self, stream: BinaryIO, pos: FilePosition) -> FilePosition | None:
        if self.forced is not None or pos.layout:
            return pos
        stream.seek(0)
        head = stream.read(64 * 1024)
        complete = head[: head.rfind(b"\n") + 1]  # a line still being written could fit the wrong layout
        records = list(raw_records(io.BytesIO(complete), limit=DETECT_RECORDS))
        try:
            layout = detect_layout(records)
        except LayoutError:
            return None  # not one complete record yet (or nothing recognisable): wait for more
        return msgspec.structs.replace(pos, layout=layout.name)

    def parse(self, stream: BinaryIO, pos: FilePosition, *, final: bool) -> Iterator[Parsed[Any]]:
        layout = self.forced or layout_from_spec(pos.layout)
        return read_cdrs(stream, layout, self.zone, line=pos.line, offset=pos.offset, final=final)


class FileSource:
    """Follows one log file by path; `lines` says what it holds (CSV CDRs, queue_log)."""

    def __init__(
        self,
        name: str,
        path: Path,
        lines: LineFormat,
        *,
        batch_size: int = 2000,
        poll_seconds: float = 0.25,
    ) -> None:
        self.name = name
        self.path = path
        self.lines = lines
        self.kind = lines.kind
        self.batch_size = batch_size
        self._poller = Poller(poll_seconds)
        self._file: BinaryIO | None = None
        self._pos = FilePosition()

    # -- lifecycle

    def open(self, position: str) -> None:
        self._pos = msgspec.json.decode(position, type=FilePosition) if position else FilePosition()
        self._file = None
        if self._pos.ino:
            self._reattach()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = None

    def reconnects(self) -> int:
        return 0

    def _fits(self, stream: BinaryIO, pos: FilePosition) -> bool:
        """Is this open file the one `pos` describes, at least `pos.offset` bytes long?"""
        st = os.fstat(stream.fileno())
        return (
            (st.st_dev, st.st_ino) == (pos.dev, pos.ino)
            and st.st_size >= pos.offset
            and _head(stream, pos.offset) == pos.head
        )

    def _reattach(self) -> None:
        """After a restart: find the file the checkpoint was in (maybe rotated away)."""
        candidates = [self.path]
        if self.path.parent.is_dir():
            candidates += sorted(
                p for p in self.path.parent.iterdir() if p.name.startswith(self.path.name) and p != self.path
            )
        for candidate in candidates:
            try:
                stream = candidate.open("rb")
            except OSError:
                continue
            if self._fits(stream, self._pos):
                self._file = stream
                if candidate != self.path:
                    log.info("%s: finishing %s (rotated while stopped)", self.name, candidate)
                return
            stream.close()
        log.warning("%s: %s was truncated or replaced while stopped: reading it from the start", self.name, self.path)
        self._pos = FilePosition()

    def _attach_path(self) -> bool:
        """Start on the file now at the path, from its beginning."""
        try:
            stream = self.path.open("rb")
        except FileNotFoundError:
            return False
        st = os.fstat(stream.fileno())
        self.close()
        self._file = stream
        self._pos = self.lines.fresh(st.st_dev, st.st_ino)
        return True

    # -- reading

    def read(self, wait: float) -> Batch | None:
        """The next batch; polls at most every `poll_seconds` (`wait=0`: look once, now)."""
        return self._poller.read(self._read_once, wait)

    def _read_once(self) -> Batch | None:
        if self._file is None and not self._attach_path():
            return None  # not created yet (tail -F waits)
        stream = self._file
        assert stream is not None
        st = os.fstat(stream.fileno())
        if st.st_size < self._pos.offset:
            log.warning("%s: %s was truncated: reading it from the start", self.name, self.path)
            self._pos = self.lines.fresh(st.st_dev, st.st_ino)
        batch = self._records(stream, final=False)
        if batch is not None:
            return batch
        # nothing new here: has the path moved on to another file?
        try:
            now = self.path.stat()
        except FileNotFoundError:
            return None
        if (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino):
            return None
        batch = self._records(stream, final=True)  # rotated: what is left of the old file is complete
        if batch is not None:
            return batch
        log.info("%s: %s was rotated; following the new file", self.name, self.path)
        self._attach_path()
        return Batch([], [], self.position(), sink=self.lines.sink)

    def position(self) -> str:
        return msgspec.json.encode(self._pos).decode()

    def _records(self, stream: BinaryIO, *, final: bool) -> Batch | None:
        ready = self.lines.ready(stream, self._pos)
        if ready is None:
            return None
        self._pos = ready
        stream.seek(self._pos.offset)
        records: list[Any] = []
        rejected: list[Rejected] = []
        last: Parsed[Any] | None = None
        for parsed in self.lines.parse(stream, self._pos, final=final):
            last = parsed
            if not isinstance(parsed.result, ValueError):
                records.append(parsed.result)
            else:
                rejected.append(
                    Rejected(
                        source=self.name,
                        position=f"inode {self._pos.ino} line {parsed.line} byte {parsed.offset}",
                        raw=decode(parsed.raw).replace("\x00", "\\x00"),
                        reason=str(parsed.result),
                    )
                )
            if len(records) + len(rejected) >= self.batch_size:
                break
        if last is None:
            return None
        line = last.line + last.raw.count(b"\n") + 1
        self._pos = msgspec.structs.replace(self._pos, offset=last.end, line=line, head=_head(stream, last.end))
        return Batch(records, rejected, self.position(), sink=self.lines.sink)
