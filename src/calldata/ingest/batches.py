"""A file's records in batches for the importer: parsed in this process, or in a child process
while this one stores the batch before (the importer's two stages on two cores).

The child reads and parses the CSV file itself and writes each batch, its records' natural keys
and its bad lines (line number, text, reason) as msgpack to a pipe; it runs at most a batch or
two ahead of the importer (the pipe's buffer is far smaller than a batch), and it dies with a
broken pipe when the importer goes. This module imports no store code, so the child starts in
a fraction of a second.
"""

from __future__ import annotations

import gzip
import os
import pickle
import signal
import struct
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import tzinfo
from pathlib import Path
from typing import Any, BinaryIO, Generic, TypeVar, cast

import msgspec

import calldata
from calldata.cdr import Cdr
from calldata.ingest.csvfile import Parsed, decode, read_cdrs
from calldata.ingest.layouts import Layout

R = TypeVar("R")
_LENGTH = struct.Struct("<I")  # before each message the child writes


class Bad(msgspec.Struct, array_like=True):
    """A record that does not parse: its first line, its text (NUL written as \\x00, which no
    store keeps in text) and why."""

    line: int
    raw: str
    reason: str


class FileBatch(msgspec.Struct, Generic[R], tag=True, array_like=True):
    """Records of one transaction, their natural keys (CDRs), the bad ones among them, and how far
    into the file on disk they reach (bytes: the progress bar's)."""

    records: list[R]
    keys: list[str]
    bad: list[Bad]
    read_to: int


class Failure(msgspec.Struct, tag=True, array_like=True):
    """The exception that stopped the child (pickled), raised again in the importer."""

    pickled: bytes


def bad(parsed: Parsed[Any]) -> Bad:
    """A record that did not parse, for the quarantine."""
    return Bad(parsed.line, decode(parsed.raw).replace("\x00", "\\x00"), str(parsed.result))


@contextmanager
def open_file(path: Path) -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """The file's records stream (decompressed for a rotated `.gz`), and the file on disk (for progress)."""
    with path.open("rb") as on_disk:
        if path.name.endswith(".gz"):
            with gzip.GzipFile(fileobj=on_disk) as unpacked:
                yield cast(BinaryIO, unpacked), on_disk
        else:
            yield on_disk, on_disk


def batched(parsed: Iterable[Parsed[R]], on_disk: BinaryIO, size: int, *, keyed: bool) -> Iterator[FileBatch[R]]:
    """Batches of `size` records (good and bad) and a last one, maybe empty; natural keys when `keyed` (CDRs)."""
    records: list[R] = []
    bads: list[Bad] = []
    for item in parsed:
        if isinstance(item.result, ValueError):
            bads.append(bad(item))
        else:
            records.append(item.result)
        if len(records) + len(bads) >= size:
            yield _batch(records, bads, on_disk, keyed)
            records, bads = [], []
    yield _batch(records, bads, on_disk, keyed)


def _batch(records: list[R], bads: list[Bad], on_disk: BinaryIO, keyed: bool) -> FileBatch[R]:
    keys = [cast(Cdr, r).natural_key() for r in records] if keyed else []
    return FileBatch(records, keys, bads, on_disk.tell())


@contextmanager
def parsed_in_child(path: Path, layout: Layout, zone: tzinfo, size: int) -> Iterator[Iterator[FileBatch[Cdr]]]:
    """The CSV file's batches of CDRs as a child process parses them (`batched`). Leaving the
    block ends the child, whether or not every batch was taken.

    The child is `python -m calldata.ingest.batches` (the same interpreter and calldata), given
    its work pickled on stdin, not a multiprocessing one: that would run the caller's main
    script again in the child."""
    package_root = str(Path(calldata.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (package_root, os.environ.get("PYTHONPATH"))))}
    child = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert child.stdin is not None and child.stdout is not None
    try:
        child.stdin.write(pickle.dumps((path, layout, zone, size)))
        child.stdin.close()
        yield _received(child.stdout, child)
    finally:
        child.stdout.close()
        if child.poll() is None:
            child.kill()
        child.wait()


def _received(stream: BinaryIO, child: subprocess.Popen[bytes]) -> Iterator[FileBatch[Cdr]]:
    decoder = msgspec.msgpack.Decoder(FileBatch[Cdr] | Failure)
    while len(head := stream.read(_LENGTH.size)) == _LENGTH.size:
        message = decoder.decode(stream.read(_LENGTH.unpack(head)[0]))
        if isinstance(message, Failure):
            raise pickle.loads(message.pickled)
        yield message
    if child.wait() != 0:
        raise RuntimeError(f"the process parsing the file ended with exit code {child.returncode}")


def _child() -> None:
    """The child: every batch of the file written to stdout in turn (length, msgpack), or what
    stopped it. Ctrl-C is the importer's to handle (it stops between batches and ends this process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    path, layout, zone, size = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    encoder = msgspec.msgpack.Encoder()

    def send(message: FileBatch[Cdr] | Failure) -> None:
        data = encoder.encode(message)
        out.write(_LENGTH.pack(len(data)))
        out.write(data)
        out.flush()

    try:
        with open_file(path) as (stream, on_disk):
            for batch in batched(read_cdrs(stream, layout, zone), on_disk, size, keyed=True):
                send(batch)
    except BrokenPipeError:
        return  # the importer has gone
    except Exception as exc:  # raised again in the importer
        send(Failure(pickle.dumps(exc)))


if __name__ == "__main__":
    _child()
