"""Directory versions in the store: load a new one, roll back to an old one, read any of them.

Versions are never changed or deleted: a rollback stores the old text again as a new version,
so the highest id is always the current one and a row's `directory_version` always names the
text that decided it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, Row, func, insert, select

from calldata.attribution.directory import Directory, DirectoryError, parse_directory
from calldata.attribution.lookup import Lookup
from calldata.attribution.schema import directory_version


class Version(msgspec.Struct, frozen=True):
    """One stored directory version (without its text)."""

    id: int
    loaded_at: datetime
    source: str
    sha256: str


class NoCompanies(DirectoryError):
    """A valid directory without companies: `reprocess` would take every row's company away."""


class NoSuchVersion(LookupError):
    """The version asked for (or a previous one to roll back to) is not in the store."""


def save(conn: Connection, text: str, source: str, *, allow_empty: bool = False) -> tuple[Version, bool]:
    """Validate `text` (DirectoryError if bad, NoCompanies if it has none and `allow_empty` is
    not given) and make it current; returns the current version and whether it is a new one
    (text identical to the current version's is not stored again)."""
    if not parse_directory(text, source).companies and not allow_empty:
        raise NoCompanies(source, [(1, "no companies: once reprocessed, no row would have a company")])
    digest = hashlib.sha256(text.encode()).hexdigest()
    head = current(conn)
    if head is not None and head[0].sha256 == digest:
        return head[0], False
    now = datetime.now(UTC)
    new_id = conn.execute(
        insert(directory_version)
        .values(loaded_at=now, source=source, sha256=digest, yaml=text)
        .returning(directory_version.c.id)
    ).scalar_one()
    return Version(id=new_id, loaded_at=now, source=source, sha256=digest), True


def rollback(conn: Connection, to: int | None = None, *, allow_empty: bool = False) -> tuple[Version, bool]:
    """Make version `to` (default: the last one before the current whose text differs) current
    again by storing its text as a new version; NoSuchVersion when there is none."""
    head = current(conn)
    if head is None:
        raise NoSuchVersion("no directory loaded yet")
    query = select(directory_version.c.id, directory_version.c.yaml)
    if to is None:
        query = query.where(directory_version.c.id < head[0].id, directory_version.c.sha256 != head[0].sha256)
    else:
        query = query.where(directory_version.c.id == to)
    target = conn.execute(query.order_by(directory_version.c.id.desc()).limit(1)).first()
    if target is None:
        raise NoSuchVersion(f"no directory version {to}" if to is not None
                            else f"no version before {head[0].id} differs from it")
    try:
        return save(conn, target.yaml, f"rollback to version {target.id}", allow_empty=allow_empty)
    except NoCompanies as exc:
        raise NoCompanies(f"directory version {target.id}", exc.problems) from None


def _version(row: Row[Any]) -> Version:
    return Version(id=row.id, loaded_at=row.loaded_at, source=row.source, sha256=row.sha256)


def get(conn: Connection, version_id: int | None = None) -> tuple[Version, str] | None:
    """A version (default: the current one) and its YAML text, or None when there is no such."""
    query = select(directory_version)
    if version_id is not None:
        query = query.where(directory_version.c.id == version_id)
    row = conn.execute(query.order_by(directory_version.c.id.desc()).limit(1)).first()
    return None if row is None else (_version(row), row.yaml)


def current(conn: Connection) -> tuple[Version, str] | None:
    """The current version and its YAML text, or None when no directory was ever loaded."""
    return get(conn)


def history(conn: Connection) -> list[Version]:
    """Every version, oldest first."""
    columns = [c for c in directory_version.c if c.name != "yaml"]
    return [_version(row) for row in conn.execute(select(*columns).order_by(directory_version.c.id))]


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(directory_version)).scalar_one()


# Compiled lookups by (version id, sha256): a version's text never changes, so neither does this.
_LOOKUPS: dict[tuple[int, str], Lookup] = {}


def head(conn: Connection) -> tuple[int, str] | None:
    """The current version's (id, sha256) without its text: what a cache of anything built from
    a version is keyed by (a version's text never changes)."""
    row = conn.execute(
        select(directory_version.c.id, directory_version.c.sha256)
        .order_by(directory_version.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row.id, row.sha256)


def text_of(conn: Connection, version_id: int) -> str:
    """The YAML text of a stored version."""
    return conn.execute(select(directory_version.c.yaml).where(directory_version.c.id == version_id)).scalar_one()


def current_lookup(conn: Connection) -> Lookup | None:
    """The lookup of the current directory (built once per version), or None without one."""
    key = head(conn)
    if key is None:
        return None
    lookup = _LOOKUPS.get(key)
    if lookup is None:
        lookup = Lookup.build(parse_directory(text_of(conn, key[0]), f"directory version {key[0]}"), key[0])
        if len(_LOOKUPS) > 8:
            _LOOKUPS.clear()
        _LOOKUPS[key] = lookup
    return lookup


def directory_of(conn: Connection) -> Directory | None:
    found = current(conn)
    return None if found is None else parse_directory(found[1], f"directory version {found[0].id}")
