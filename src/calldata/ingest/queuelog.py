"""Asterisk's queue_log file: its lines as queue events, for the file follower and `calldata import`.

Each line is one event (`epoch|callid|queue|agent|event|data...`, `calldata.queues.event`), so a
line is complete once its newline is written. Identical lines of one second are numbered in the
order written (`Repeats`), from the start of each file: the follower and a later import of the
same file give every event the same natural key.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any, BinaryIO

import msgspec

from calldata.ingest.csvfile import Parsed, decode, physical_lines
from calldata.ingest.layouts import Layout
from calldata.ingest.follow import FilePosition
from calldata.ingest.sink import QUEUE_EVENTS
from calldata.queues.event import QueueEvent, QueueLogError, Repeats, parse_line

# `calldata import`'s name for the format (beside the CSV layouts); it has no columns to detect
QUEUE_LOG = Layout("queue_log", ())
DETECT_LINES = 20


def read_events(
    stream: BinaryIO, repeats: Repeats, *, line: int = 1, offset: int = 0, final: bool = True
) -> Iterator[Parsed[QueueEvent]]:
    """Every event from the stream's current position (which is `line`, `offset`), numbered by `repeats`.

    Blank lines are skipped. With `final=False` (a file still being written) an unterminated
    last line is left for the next read: resume at the last yielded event's `end`.
    """
    for physical in physical_lines(stream, offset):
        if not final and not physical.terminated:
            return  # Asterisk is still writing this line
        text = decode(physical.body)
        if text.strip():
            result: QueueEvent | ValueError
            try:
                if "\x00" in text:  # no store keeps NUL in text: the line is damaged
                    raise QueueLogError("a NUL byte in the line")
                result = repeats.number(parse_line(text))
            except QueueLogError as exc:
                result = exc
            yield Parsed(line, physical.offset, physical.end, physical.body, result)
        line += 1


def is_queue_log(stream: BinaryIO) -> bool:
    """Do the file's first lines read as queue_log (more than half of them events)?"""
    parsed = list(islice(read_events(stream, Repeats()), DETECT_LINES))
    good = sum(not isinstance(p.result, ValueError) for p in parsed)
    return good > 0 and 2 * good > len(parsed)


class QueueLogLines:
    """queue_log for the file follower: one event per line, repeats numbered from the file's start."""

    kind = "queue_log_file"
    sink = QUEUE_EVENTS

    def fresh(self, dev: int, ino: int) -> FilePosition:
        return FilePosition(dev=dev, ino=ino, repeats=Repeats())

    def ready(self, stream: BinaryIO, pos: FilePosition) -> FilePosition | None:
        return pos if pos.repeats is not None else msgspec.structs.replace(pos, repeats=Repeats())

    def parse(self, stream: BinaryIO, pos: FilePosition, *, final: bool) -> Iterator[Parsed[Any]]:
        assert pos.repeats is not None  # ready() gave it one; numbering advances it with the offset
        return read_events(stream, pos.repeats, line=pos.line, offset=pos.offset, final=final)
