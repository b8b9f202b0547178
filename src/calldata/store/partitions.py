"""The cdr table's range partitions on PostgreSQL (SQLite has none): listing them, creating them ahead.

The key is `acctid`, not `calldate`: /rest/call/read pages by `minID` (acctid), so a keyset page
(`acctid >= :min_id ORDER BY acctid LIMIT n`) is an ordered Append that reads the one partition
holding min_id (and the next when the page crosses a bound), and a partition never receives a row
again once the sequence has passed it (writes go to the newest partition only). `calldate` would
suit retention better, but a leg's calldate can be anything (a late import of last year's file)
while acctids only grow; retention drops a partition only when all of its legs are older than the
cutoff (calldata.retention).

Partitions are `cdr_from_<lower bound>`, `CALLDATA_PARTITION_ROWS` acctids wide, contiguous. The
catch-all is `cdr_tail`, FROM (the last bound) TO (MAXVALUE), not a DEFAULT partition: a default
partition can hold any acctid, so PostgreSQL cannot order the Append by partition and every page
would probe every later partition (a Merge Append); the tail keeps the order and still takes any
acctid the sequence gives. Making the next partition splits the tail: it is detached, the new
range made, any rows the tail held in it moved there, the tail attached again above it.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from calldata.config import Settings
from calldata.store.schema import ONLY

# Full partitions kept beyond the highest acctid stored: a batch of up to this many partitions' worth
# of rows never reaches the tail.
AHEAD = 2
TAIL = "cdr_tail"
# How long a writer waits for the lock that splitting the tail takes (ACCESS EXCLUSIVE on cdr, held
# by any reader's transaction, a long export's say) before it leaves the split to a later batch.
SPLIT_LOCK_TIMEOUT = "100ms"
SEQUENCE = "cdr_acctid_seq"
_PARTITION = re.compile(r"cdr_(from_\d+|tail)")
_BOUND = re.compile(r"FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)")
_TAIL_BOUND = re.compile(r"FROM \('?(-?\d+)'?\) TO \(MAXVALUE\)")

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
    """The range partitions of cdr, by lower bound (the tail is not among them)."""
    found = []
    for name, bound in _bounds(conn):
        if (match := _BOUND.search(bound)) is not None:
            found.append(Partition(name, int(match[1]), int(match[2])))
    return sorted(found, key=lambda p: p.lower)


def tail_lower(conn: Connection) -> int:
    """Where the tail starts: every acctid from here on goes to it."""
    for name, bound in _bounds(conn):
        if name == TAIL and (match := _TAIL_BOUND.search(bound)) is not None:
            return int(match[1])
    raise LookupError("cdr has no tail partition (migration 0015_cdr_partitions makes it)")


def _bounds(conn: Connection) -> list[tuple[str, str]]:
    return [(name, bound) for name, bound in conn.execute(text(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'cdr'::regclass"))]


def next_acctid(conn: Connection) -> int:
    """The acctid the identity sequence gives next."""
    return int(conn.execute(text(f"SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {SEQUENCE}"))
               .scalar_one())


def configured_size() -> int:
    """CALLDATA_PARTITION_ROWS: acctids per new partition (read when one is due, not per batch)."""
    return Settings.from_env().partition_rows


def split_tail(conn: Connection, upper: int) -> Partition:
    """Make the partition [tail's lower bound, upper) out of the tail, in the caller's transaction:
    detach the tail, create the range, move into it the rows the tail held there, attach the tail
    again FROM (upper)."""
    lower = tail_lower(conn)
    name = name_for(lower)
    conn.execute(text(f"ALTER TABLE cdr DETACH PARTITION {TAIL}"))
    conn.execute(text(f"CREATE TABLE {name} PARTITION OF cdr FOR VALUES FROM ({lower}) TO ({upper})"))
    conn.execute(text(f"WITH moved AS (DELETE FROM {TAIL} WHERE acctid < :upper RETURNING *)"
                      f" INSERT INTO {name} SELECT * FROM moved"), {"upper": upper})
    conn.execute(text(f"ALTER TABLE cdr ATTACH PARTITION {TAIL} FOR VALUES FROM ({upper}) TO (MAXVALUE)"))
    return Partition(name, lower, upper)


def ensure_ahead(conn: Connection, highest: int, size: int | None = None) -> list[Partition]:
    """Keep AHEAD partitions of `size` acctids (default: the setting) beyond `highest` (the last acctid
    stored), made in the caller's transaction (a writer's, holding the writers' lock: no two make
    one). If the lock cannot be had within SPLIT_LOCK_TIMEOUT nothing is made (a savepoint undoes
    the attempt) and a later batch tries again: the partitions ahead leave room meanwhile.

    Cheap when nothing is due: the catalog is read only once per engine and whenever `highest`
    comes within AHEAD partitions of the tail last seen (a rolled-back split is thus done again).
    A sequence that jumped (setval) gets one partition for the acctids it skipped, not thousands.
    """
    engine = conn.engine
    if highest < _checked.get(engine, -1):
        return []
    size = size or configured_size()
    lower = tail_lower(conn)
    _checked[engine] = lower - AHEAD * size
    target = highest + AHEAD * size
    if lower > target:
        return []
    made = []
    try:
        with conn.begin_nested():
            conn.execute(text(f"SET LOCAL lock_timeout = '{SPLIT_LOCK_TIMEOUT}'"))
            if highest - lower > (AHEAD + 1) * size:
                made.append(split_tail(conn, highest - highest % size))
                lower = made[-1].upper
            while lower <= target:
                made.append(split_tail(conn, lower + size))
                lower += size
            conn.execute(text("SET LOCAL lock_timeout = DEFAULT"))
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        return []
    return made


def ensure_through(conn: Connection, highest: int, size: int | None = None) -> list[Partition]:
    """Partitions of the regular width up to AHEAD beyond `highest`, for a bulk load by COPY (the
    benchmarks' stores) that makes room before it writes; ensure_ahead would give a jump one wide
    partition."""
    size = size or configured_size()
    made = []
    while (lower := tail_lower(conn)) <= highest + AHEAD * size:
        made.append(split_tail(conn, lower + size))
    return made


def ensure_range(conn: Connection, acctid: int, size: int) -> None:
    """A partition holds `acctid` (a restored leg's, whose partition retention dropped): the missing
    aligned range [k*size, (k+1)*size) is made, clipped to its neighbours (created attached: such
    an acctid is below the tail, in no partition)."""
    existing = partitions(conn)
    if any(p.lower <= acctid < p.upper for p in existing) or acctid >= tail_lower(conn):
        return
    lower = max([acctid - acctid % size, *(p.upper for p in existing if p.upper <= acctid)])
    upper = min([acctid - acctid % size + size, tail_lower(conn), *(p.lower for p in existing if p.lower > acctid)])
    conn.execute(text(f"CREATE TABLE {name_for(lower)} PARTITION OF cdr FOR VALUES FROM ({lower}) TO ({upper})"))


def tail_rows(conn: Connection) -> int:
    """Rows in the tail (0 in a healthy store: the partitions ahead take every batch; docs/retention.md)."""
    return int(conn.execute(text(f"SELECT count(*) FROM {TAIL}")).scalar_one())
