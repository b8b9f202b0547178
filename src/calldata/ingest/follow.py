"""A growing Master.csv, followed like `tail -F`: across rotation and truncation, resuming at the byte.

The position names the file by device and inode plus a fingerprint of its first bytes, and
holds the byte offset and line number just past the last stored record. After a restart the
followed path is checked against it: same file -> resume at the offset; rotated away -> the old
file is looked for beside it (Master.csv.1, Master.csv-20261129...) and finished first; shorter
than the offset or a different fingerprint -> truncated and rewritten, read from the start.
Parsing is `calldata.ingest.csvfile`'s, line for line the same as `calldata import`.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from datetime import tzinfo
from pathlib import Path
from typing import BinaryIO

import msgspec

from calldata.cdr import Cdr
from calldata.ingest.csvfile import (
    LayoutError,
    Layout,
    Parsed,
    decode,
    detect_layout,
    layout_from_spec,
    raw_records,
    read_cdrs,
)
from calldata.ingest.source import Batch, Poller
from calldata.store.quarantine import Rejected

log = logging.getLogger("calldata.ingest")

HEAD_BYTES = 256  # how much of a file's start tells it apart from another with the same inode
DETECT_RECORDS = 50


class FilePosition(msgspec.Struct, omit_defaults=True):
    """Where a follower is: which file (dev, ino, head fingerprint) and where in it."""

    dev: int = 0
    ino: int = 0
    head: str = ""
    offset: int = 0
    line: int = 1
    layout: str = ""


def _head(stream: BinaryIO, upto: int) -> str:
    stream.seek(0)
    return hashlib.blake2b(stream.read(min(upto, HEAD_BYTES)), digest_size=8).hexdigest()


class FileSource:
    """Follows one CSV CDR file by path."""

    kind = "file"

    def __init__(
        self,
        name: str,
        path: Path,
        *,
        layout: str = "auto",
        zone: tzinfo,
        batch_size: int = 2000,
        poll_seconds: float = 0.25,
    ) -> None:
        self.name = name
        self.path = path
        self.forced: Layout | None = None if layout == "auto" else layout_from_spec(layout)
        self.zone = zone
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
        self._pos = FilePosition(dev=st.st_dev, ino=st.st_ino, layout=self.forced.name if self.forced else "")
        return True

    # -- reading

    def read(self, wait: float) -> Batch | None:
        """The next batch; polls at most every `poll_seconds` (`wait=0`: look once, now)."""
        return self._poller.read(self._read_once, wait)

    def _layout(self, stream: BinaryIO) -> Layout | None:
        if self.forced is not None:
            return self.forced
        if self._pos.layout:
            return layout_from_spec(self._pos.layout)
        stream.seek(0)
        head = stream.read(64 * 1024)
        complete = head[: head.rfind(b"\n") + 1]  # a line still being written could fit the wrong layout
        records = list(raw_records(io.BytesIO(complete), limit=DETECT_RECORDS))
        try:
            layout = detect_layout(records)
        except LayoutError:
            return None  # not one complete record yet (or nothing recognisable): wait for more
        self._pos = msgspec.structs.replace(self._pos, layout=layout.name)
        return layout

    def _read_once(self) -> Batch | None:
        if self._file is None and not self._attach_path():
            return None  # not created yet (tail -F waits)
        stream = self._file
        assert stream is not None
        st = os.fstat(stream.fileno())
        if st.st_size < self._pos.offset:
            log.warning("%s: %s was truncated: reading it from the start", self.name, self.path)
            self._pos = FilePosition(dev=st.st_dev, ino=st.st_ino, layout=self.forced.name if self.forced else "")
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
        return Batch([], [], self.position())

    def position(self) -> str:
        return msgspec.json.encode(self._pos).decode()

    def _records(self, stream: BinaryIO, *, final: bool) -> Batch | None:
        layout = self._layout(stream)
        if layout is None:
            return None
        stream.seek(self._pos.offset)
        records: list[Cdr] = []
        rejected: list[Rejected] = []
        last: Parsed | None = None
        for parsed in read_cdrs(stream, layout, self.zone, line=self._pos.line, offset=self._pos.offset, final=final):
            last = parsed
            if isinstance(parsed.result, Cdr):
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
        return Batch(records, rejected, self.position())
