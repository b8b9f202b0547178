"""Helpers of the live-ingestion tests: story rows, Asterisk-shaped tables, comparing stored rows."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recordings import STORIES
from sqlalchemy import Connection, Engine, select, text

from calldata.ingest import checkpoints  # noqa: F401 - registers ingest_source with the metadata
from calldata.ingest.runner import store
from calldata.ingest.source import Source
from calldata.store.schema import cdr

STORIES_DIR = STORIES
STORY_NAMES = sorted(p.name for p in STORIES_DIR.iterdir() if p.is_dir() and p.name != "all")
MARIADB_URL = os.environ.get("CALLDATA_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")

# the columns of Asterisk's cdr table, in the order cdr_pgsql's documented schema gives them
PG_DDL = """
CREATE TABLE {table} (
    {key}
    calldate timestamptz NOT NULL DEFAULT now(),
    clid varchar(80) NOT NULL DEFAULT '', src varchar(80) NOT NULL DEFAULT '',
    dst varchar(80) NOT NULL DEFAULT '', dcontext varchar(80) NOT NULL DEFAULT '',
    channel varchar(80) NOT NULL DEFAULT '', dstchannel varchar(80) NOT NULL DEFAULT '',
    lastapp varchar(80) NOT NULL DEFAULT '', lastdata varchar(80) NOT NULL DEFAULT '',
    duration integer NOT NULL DEFAULT 0, billsec integer NOT NULL DEFAULT 0,
    disposition varchar(45) NOT NULL DEFAULT '', amaflags integer NOT NULL DEFAULT 0,
    accountcode varchar(20) NOT NULL DEFAULT '', uniqueid varchar(150) NOT NULL DEFAULT '',
    userfield varchar(255) NOT NULL DEFAULT '', peeraccount varchar(20) NOT NULL DEFAULT '',
    linkedid varchar(150) NOT NULL DEFAULT '', sequence integer NOT NULL DEFAULT 0
)"""

# cdr_adaptive_odbc on MariaDB: naive datetimes, start/answer/end beside calldate, text AMA flags
MYSQL_DDL = """
CREATE TABLE {table} (
    {key}
    calldate datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
    start datetime NULL, answer datetime NULL, `end` datetime NULL,
    clid varchar(80) NOT NULL DEFAULT '', src varchar(80) NOT NULL DEFAULT '',
    dst varchar(80) NOT NULL DEFAULT '', dcontext varchar(80) NOT NULL DEFAULT '',
    channel varchar(80) NOT NULL DEFAULT '', dstchannel varchar(80) NOT NULL DEFAULT '',
    lastapp varchar(80) NOT NULL DEFAULT '', lastdata varchar(80) NOT NULL DEFAULT '',
    duration int NOT NULL DEFAULT 0, billsec int NOT NULL DEFAULT 0,
    disposition varchar(45) NOT NULL DEFAULT '', amaflags varchar(20) NOT NULL DEFAULT '',
    accountcode varchar(20) NOT NULL DEFAULT '', uniqueid varchar(150) NOT NULL DEFAULT '',
    userfield varchar(255) NOT NULL DEFAULT '', peeraccount varchar(20) NOT NULL DEFAULT '',
    linkedid varchar(150) NOT NULL DEFAULT '', sequence int NOT NULL DEFAULT 0
) CHARACTER SET utf8mb4"""

COLUMNS = (
    "calldate", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
    "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid", "userfield",
    "peeraccount", "linkedid", "sequence",
)


def story_rows(story: str) -> list[dict[str, str]]:
    """A story's pg.csv rows (as cdr_pgsql wrote them), in acctid order."""
    with (STORIES_DIR / story / "pg.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def all_story_rows() -> list[dict[str, str]]:
    return [row for story in STORY_NAMES for row in story_rows(story)]


def synthetic_rows(n: int, template: Sequence[dict[str, str]] | None = None, tag: str = "syn") -> list[dict[str, str]]:
    """`n` distinct rows shaped like the stories' (each a story row with its own uniqueid)."""
    base = list(template or all_story_rows())
    out = []
    for i in range(n):
        row = dict(base[i % len(base)])
        row["uniqueid"] = f"{tag}-{i}.{row['uniqueid']}"
        row["linkedid"] = f"{tag}-{i // 3}.{row['linkedid']}"
        out.append(row)
    return out


def utc(text_: str) -> datetime:
    """pg.csv's `2026-11-29 02:02:57+00` as an aware datetime."""
    return datetime.fromisoformat(text_)


def expected_key(row: dict[str, Any]) -> tuple:
    """What a stored row must hold for a source row (Asterisk's spellings normalised)."""
    disposition = {"NO ANSWER": "NOANSWER"}.get(row["disposition"], row["disposition"])
    amaflags = {"OMIT": 1, "BILLING": 2, "DOCUMENTATION": 3}.get(str(row["amaflags"]), row["amaflags"])
    return (
        utc(row["calldate"]), row["clid"], row["src"], row["dst"], row["dcontext"], row["channel"],
        row["dstchannel"], row["lastapp"], row["lastdata"], int(row["duration"]), int(row["billsec"]),
        disposition, int(amaflags), row["accountcode"], row["uniqueid"], row["userfield"],
        row["peeraccount"], row["linkedid"], int(row["sequence"]),
    )


def stored_keys(engine: Engine) -> list[tuple]:
    """The stored rows, as `expected_key` tuples, in acctid order."""
    with engine.connect() as conn:
        rows = conn.execute(select(*(cdr.c[c] for c in COLUMNS)).order_by(cdr.c.acctid)).all()
    return [tuple(r) for r in rows]


def drain(engine: Engine, source: Source, position: str = "") -> int:
    """Read a source until it has nothing new, storing each batch as the run loop does."""
    source.open(position)
    n = 0
    try:
        while (batch := source.read(0)) is not None:
            n += store(engine, source, batch).inserted
    finally:
        source.close()
    return n



class PbxTable:
    """An Asterisk-shaped cdr table on a real server, and the rows written into it."""

    def __init__(self, url: str, name: str, engine: Engine) -> None:
        self.url = url
        self.name = name
        self.engine = engine
        self.writers: list[Connection] = []  # transactions left open by insert_open

    def insert(self, rows: Sequence[dict[str, str]]) -> None:
        if not rows:
            return
        cols = [c for c in COLUMNS]
        extra = self.engine.dialect.name == "mysql"
        names = cols + (["start"] if extra else [])
        quoted = ", ".join(f"`{c}`" if extra else f'"{c}"' for c in names)
        params = ", ".join(f":{c}" for c in names)
        values = []
        for row in rows:
            v: dict[str, Any] = {c: row[c] for c in cols}
            if extra:  # naive UTC, as Asterisk with a UTC clock writes them
                v["calldate"] = utc(row["calldate"]).astimezone(UTC).replace(tzinfo=None)
                v["start"] = v["calldate"]
                v["amaflags"] = {"1": "OMIT", "2": "BILLING", "3": "DOCUMENTATION"}.get(str(row["amaflags"]), row["amaflags"])
            values.append(v)
        with self.engine.begin() as conn:
            conn.execute(text(f"INSERT INTO {self.name} ({quoted}) VALUES ({params})"), values)

    def insert_open(self, uniqueid: str) -> Connection:
        """A row inserted in a transaction left open, as a slow writer of Asterisk's pool does:
        its key is taken now, the row is seen when the caller commits the connection returned."""
        conn = self.engine.connect()
        self.writers.append(conn)
        conn.begin()
        cols, times = ("`start`, calldate", "NOW(), NOW()") if self.engine.dialect.name == "mysql" else ("calldate", "now()")
        conn.execute(text(f"INSERT INTO {self.name} ({cols}, uniqueid, disposition) VALUES ({times}, :u, 'ANSWERED')"), {"u": uniqueid})
        return conn

    def close_writers(self) -> None:
        """Roll back what insert_open left open (it would block dropping the table)."""
        for conn in self.writers:
            conn.close()
        self.writers.clear()



def wait_for(predicate, timeout: float = 20.0, step: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    """Poll `predicate` until it is true or `timeout` seconds pass."""
    import time

    from sqlalchemy.exc import DBAPIError

    def check() -> bool:
        try:
            return bool(predicate())
        except DBAPIError:  # the tests cut the store's connections, or it is still being created
            return False

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return check()


def stored_count(engine: Engine) -> int:
    from sqlalchemy import func

    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(cdr)).scalar_one())


_AMA_NAMES = {"0": "DEFAULT", "1": "OMIT", "2": "BILLING", "3": "DOCUMENTATION"}


def master_line(row: dict[str, str]) -> bytes:
    """A pg.csv row as cdr_csv writes it to Master.csv (21 columns, UTC; answer/end from the counts)."""
    import csv as csv_
    import io
    from datetime import timedelta

    start = utc(row["calldate"]).astimezone(UTC)
    end = start + timedelta(seconds=int(row["duration"]))
    answer = end - timedelta(seconds=int(row["billsec"])) if int(row["billsec"]) else None
    fmt = "%Y-%m-%d %H:%M:%S"
    fields = [
        row["accountcode"], row["src"], row["dst"], row["dcontext"], row["clid"], row["channel"],
        row["dstchannel"], row["lastapp"], row["lastdata"], start.strftime(fmt),
        answer.strftime(fmt) if answer else "", end.strftime(fmt), row["duration"], row["billsec"],
        row["disposition"], _AMA_NAMES.get(row["amaflags"], row["amaflags"]), row["uniqueid"],
        row["userfield"], row["peeraccount"], row["linkedid"], row["sequence"],
    ]
    out = io.StringIO()
    csv_.writer(out, quoting=csv_.QUOTE_NONNUMERIC, lineterminator="\n").writerow(
        [int(f) if i in (12, 13, 20) else f for i, f in enumerate(fields)]
    )
    return out.getvalue().encode()


def ami_block(row: dict[str, str]) -> bytes:
    """A pg.csv row as cdr_manager's Cdr event (LinkedID, Sequence, PeerAccount mapped; UTC clock)."""
    from datetime import timedelta

    start = utc(row["calldate"]).astimezone(UTC)
    end = start + timedelta(seconds=int(row["duration"]))
    answer = end - timedelta(seconds=int(row["billsec"])) if int(row["billsec"]) else None
    fmt = "%Y-%m-%d %H:%M:%S"
    headers = [
        ("Event", "Cdr"), ("Privilege", "cdr,all"), ("AccountCode", row["accountcode"]), ("Source", row["src"]),
        ("Destination", row["dst"]), ("DestinationContext", row["dcontext"]), ("CallerID", row["clid"]),
        ("Channel", row["channel"]), ("DestinationChannel", row["dstchannel"]), ("LastApplication", row["lastapp"]),
        ("LastData", row["lastdata"]), ("StartTime", start.strftime(fmt)),
        ("AnswerTime", answer.strftime(fmt) if answer else ""), ("EndTime", end.strftime(fmt)),
        ("Duration", row["duration"]), ("BillableSeconds", row["billsec"]), ("Disposition", row["disposition"]),
        ("AMAFlags", _AMA_NAMES.get(row["amaflags"], row["amaflags"])), ("UniqueID", row["uniqueid"]),
        ("UserField", row["userfield"]), ("LinkedID", row["linkedid"]), ("Sequence", row["sequence"]),
        ("PeerAccount", row["peeraccount"]),
    ]
    return "\r\n".join(f"{k}: {v}" for k, v in headers).encode()
