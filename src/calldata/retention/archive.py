"""The archive format: a cdr partition's rows, gzip-compressed, as `calldata import` reads them back.

    # calldata cdr archive 1
    acctid<TAB>calldate<TAB>...<TAB>natkey<TAB>company<TAB>...      (every cdr column, by name)
    one line per leg, in acctid order: PostgreSQL's COPY text format (tab-separated, \\N for
    NULL, backslash escapes), times in UTC

Every column is kept, acctid and the decided properties and ratings included, so a restore
gives back the very rows (docs/retention.md). Text rather than Master.csv: Master.csv has no
acctid, no natural key and no NULL.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path
from typing import BinaryIO, NamedTuple

MAGIC = b"# calldata cdr archive 1\n"
SUFFIX = ".cdr-archive.gz"
_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)")
_SIMPLE = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}


class Digest(NamedTuple):
    """What verifies an archive against its partition: legs, and SHA-256 of their natural keys
    (UTF-8, in acctid order, joined by newlines)."""

    rows: int
    natkeys: str


class ArchiveError(ValueError):
    """The file is not a calldata archive, is damaged, or cannot be restored here; the message says which."""


def file_name(lower: int, upper: int) -> str:
    """An archive's name: the acctid range of its partition."""
    return f"cdr-{lower}-{upper}{SUFFIX}"


def is_archive(stream: BinaryIO) -> bool:
    """Whether a (decompressed) stream starts like an archive."""
    return stream.read(len(MAGIC)) == MAGIC


def unescape(field: bytes) -> bytes:
    """A COPY text field's bytes (not \\N) as stored."""
    def one(match: re.Match[bytes]) -> bytes:
        code = match[1]
        if code[:1] == b"x":
            return bytes([int(code[1:], 16)])
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return _SIMPLE.get(code, code)
    return _ESCAPE.sub(one, field) if b"\\" in field else field


def read_header(stream: BinaryIO, name: str) -> list[str]:
    """The column names of the (decompressed) archive `stream` is at the start of; ArchiveError
    naming `name` for a file without the header."""
    if stream.readline() != MAGIC:
        raise ArchiveError(f"{name}: not a calldata cdr archive")
    return stream.readline().rstrip(b"\n").decode().split("\t")


def digest(path: Path) -> Digest:
    """Read the whole archive back: its legs and their natural keys' checksum (ArchiveError if
    it has no natkey column or a line with the wrong number of fields)."""
    with gzip.open(path, "rb") as stream:
        return _digest(stream, str(path))


def _digest(stream: BinaryIO, name: str) -> Digest:
    columns = read_header(stream, name)
    if "natkey" not in columns:
        raise ArchiveError(f"{name}: no natkey column")
    at, width = columns.index("natkey"), len(columns)
    sha = hashlib.sha256()
    rows = 0
    for line in stream:
        fields = line.rstrip(b"\n").split(b"\t")
        if len(fields) != width:
            raise ArchiveError(f"{name}: line {rows + 3} has {len(fields)} fields, not {width}")
        if rows:
            sha.update(b"\n")
        sha.update(unescape(fields[at]))
        rows += 1
    return Digest(rows, sha.hexdigest())
