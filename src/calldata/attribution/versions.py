"""Directory versions in the store: load a new one, read the current one, its compiled lookup."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import msgspec
from sqlalchemy import Connection, func, insert, select

from calldata.attribution.directory import Directory, parse_directory
from calldata.attribution.lookup import Lookup
from calldata.attribution.schema import directory_version


class Version(msgspec.Struct, frozen=True):
    """One stored directory version (without its text)."""

    id: int
    loaded_at: datetime
    source: str
    sha256: str


def save(conn: Connection, text: str, source: str) -> Version:
    """Validate `text` (DirectoryError if bad) and store it as the new current version."""
    parse_directory(text, source)
    digest = hashlib.sha256(text.encode()).hexdigest()
    now = datetime.now(UTC)
    new_id = conn.execute(
        insert(directory_version)
        .values(loaded_at=now, source=source, sha256=digest, yaml=text)
        .returning(directory_version.c.id)
    ).scalar_one()
    return Version(id=new_id, loaded_at=now, source=source, sha256=digest)


def current(conn: Connection) -> tuple[Version, str] | None:
    """The current version and its YAML text, or None when no directory was ever loaded."""
    row = conn.execute(
        select(directory_version).order_by(directory_version.c.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return Version(id=row.id, loaded_at=row.loaded_at, source=row.source, sha256=row.sha256), row.yaml


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(directory_version)).scalar_one()


# Compiled lookups by (version id, sha256): a version's text never changes, so neither does this.
_LOOKUPS: dict[tuple[int, str], Lookup] = {}


def current_lookup(conn: Connection) -> Lookup | None:
    """The lookup of the current directory (built once per version), or None without one."""
    head = conn.execute(
        select(directory_version.c.id, directory_version.c.sha256)
        .order_by(directory_version.c.id.desc())
        .limit(1)
    ).first()
    if head is None:
        return None
    key = (head.id, head.sha256)
    lookup = _LOOKUPS.get(key)
    if lookup is None:
        text = conn.execute(
            select(directory_version.c.yaml).where(directory_version.c.id == head.id)
        ).scalar_one()
        lookup = Lookup.build(parse_directory(text, f"directory version {head.id}"), head.id)
        if len(_LOOKUPS) > 8:
            _LOOKUPS.clear()
        _LOOKUPS[key] = lookup
    return lookup


def directory_of(conn: Connection) -> Directory | None:
    found = current(conn)
    return None if found is None else parse_directory(found[1], f"directory version {found[0].id}")
