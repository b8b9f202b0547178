"""The cdr table's range partitions on PostgreSQL (SQLite has none): listing them, creating them ahead.

The key is `acctid`, not `calldate`: /rest/call/read pages by `minID` (acctid), so a keyset page
(`acctid >= :min_id ORDER BY acctid LIMIT n`) prunes to the one or two partitions holding its
range, and a partition never receives a row again once the sequence has passed it (writes go to
the newest partition only). `calldate` would suit retention better, but a leg's calldate can be
anything (a late CSV import of last year's file) while acctids only grow, so by acctid every
partition but the newest is closed; retention drops a partition only when all of its legs are
older than the cutoff (calldata.retention).

Partitions are `cdr_from_<lower bound>`, each `CALLDATA_PARTITION_ROWS` acctids wide, contiguous;
`cdr_default` catches any acctid beyond them so no row is ever refused, and creating the range that
covers such rows moves them out of it (`ensure_ahead`).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, text

from calldata.config import Settings
from calldata.store.schema import ONLY

# Full partitions kept beyond the highest acctid stored: a batch up to this many partitions' worth of
# rows never reaches the default partition.
AHEAD = 2
DEFAULT = "cdr_default"
SEQUENCE = "cdr_acctid_seq"
_PARTITION = re.compile(r"cdr_(from_\d+|default)")
_BOUND = re.compile(r"FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)")

# Per engine: the highest acctid a batch may reach before the partitions are looked at again.
_checked: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()


class Partition(NamedTuple):
    """One range partition: rows with lower <= acctid < upper."""

    name: str
    lower: int
    upper: int


def on_database(name: str) -> Callable[..., bool]:
    """Alembic's include_object for a store on database `name`: items declared ONLY for another
    database, and cdr's partitions (made at run time, not declared), are left out of autogenerate
    and the migration test's comparison."""
    def include(item: Any, _name: str | None, _type: str, _reflected: bool, _compare_to: Any) -> bool:
        table = getattr(item, "table", item)
        if _PARTITION.fullmatch(getattr(table, "name", "") or ""):
            return False
        return bool(getattr(item, "info", {}).get(ONLY, name) == name)
    return include


def name_for(lower: int) -> str:
    """A range partition's name (from its lower bound, so a changed size never collides)."""
    return f"cdr_from_{lower}"


def partitions(conn: Connection) -> list[Partition]:
    """The range partitions of cdr, by lower bound (the default partition is not among them)."""
    rows = conn.execute(text(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'cdr'::regclass"
    ))
    found = []
    for name, bound in rows:
        if (match := _BOUND.search(bound)) is not None:
            found.append(Partition(name, int(match[1]), int(match[2])))
    return sorted(found, key=lambda p: p.lower)


def next_acctid(conn: Connection) -> int:
    """The acctid the identity sequence gives next."""
    return int(conn.execute(text(f"SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {SEQUENCE}"))
               .scalar_one())


def create(conn: Connection, lower: int, upper: int) -> Partition:
    """Create the partition [lower, upper), moving into it any rows the default partition holds in
    that range (ATTACH would refuse them), in the caller's transaction."""
    name = name_for(lower)
    conn.execute(text(f"CREATE TABLE {name} (LIKE cdr INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    conn.execute(text(
        f"WITH moved AS (DELETE FROM {DEFAULT} WHERE acctid >= :lower AND acctid < :upper RETURNING *)"
        f" INSERT INTO {name} SELECT * FROM moved"), {"lower": lower, "upper": upper})
    conn.execute(text(f"ALTER TABLE cdr ATTACH PARTITION {name} FOR VALUES FROM ({lower}) TO ({upper})"))
    return Partition(name, lower, upper)


def configured_size() -> int:
    """CALLDATA_PARTITION_ROWS: acctids per new partition (read when one is due, not per batch)."""
    return Settings.from_env().partition_rows


def ensure_ahead(conn: Connection, highest: int, size: int | None = None) -> list[Partition]:
    """Keep AHEAD partitions of `size` acctids (default: the setting) beyond `highest` (the last acctid
    stored), creating them in the caller's transaction (a writer's, holding the writers' lock: no
    two create one).

    Cheap when nothing is due: the catalog is read only once per engine and whenever `highest`
    comes within AHEAD partitions of the last upper bound read (a rolled-back creation is thus
    seen and done again).
    """
    engine = conn.engine
    if highest < _checked.get(engine, -1):
        return []
    size = size or configured_size()
    existing = partitions(conn)
    upper = existing[-1].upper if existing else 0
    _checked[engine] = upper - AHEAD * size
    made = []
    while upper <= highest + AHEAD * size:
        made.append(create(conn, upper, upper + size))
        upper += size
    return made


def ensure_range(conn: Connection, acctid: int, size: int) -> None:
    """A partition exists holding `acctid` (a restored leg's, whose partition retention dropped):
    the missing aligned range [k*size, (k+1)*size) is created, clipped to its neighbours."""
    existing = partitions(conn)
    if any(p.lower <= acctid < p.upper for p in existing):
        return
    lower, upper = acctid - acctid % size, acctid - acctid % size + size
    lower = max([lower, *(p.upper for p in existing if p.upper <= acctid)])
    upper = min([upper, *(p.lower for p in existing if p.lower > acctid)])
    create(conn, lower, upper)


def default_rows(conn: Connection) -> int:
    """Rows in the default partition (0 in a healthy store: see docs/retention.md)."""
    return int(conn.execute(text(f"SELECT count(*) FROM {DEFAULT}")).scalar_one())
