"""An Asterisk table followed from a checkpoint: the CDR table (cdr_pgsql, cdr_odbc,
cdr_adaptive_odbc) here, the realtime queue_log through `calldata.ingest.queuetable`'s rows.

With an integer serial key (an integrator's `acctid`/`id`) rows are read in key order. Writers
such as cdr_adaptive_odbc use several connections, so a lower key can commit after a higher one:
keys skipped over are kept as *gaps* in the checkpoint and looked up again until they appear
or `gap_wait` seconds spent polling pass (`calldata.ingest.gaps`); a key given up is logged and
counted. Without a key, rows are read by calldate from `lookback` seconds before the newest one
seen, and the natural key drops the ones already stored. What a row becomes is the source's
`Rows` (`RowReader`: a Cdr).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from sqlalchemy import Engine, MetaData, Table, and_, create_engine, or_, select
from sqlalchemy.exc import SQLAlchemyError

from calldata.cdr import Cdr
from calldata.ingest.csvfile import cdr_from_fields
from calldata.ingest.layouts import Layout
from calldata.ingest.gaps import Gaps, PollClock
from calldata.ingest.sink import CDRS, Sink
from calldata.ingest.source import Batch, Poller, SourceUnavailable
from calldata.store.quarantine import Rejected

# Asterisk column -> Cdr field (cdr_pgsql / cdr_odbc write calldate; adaptive ODBC may map start).
COLUMN_FIELDS = {
    "calldate": "start",
    "start": "start",
    "answer": "answer",
    "end": "end",
    "clid": "clid",
    "src": "src",
    "dst": "dst",
    "dcontext": "dcontext",
    "channel": "channel",
    "dstchannel": "dstchannel",
    "lastapp": "lastapp",
    "lastdata": "lastdata",
    "duration": "duration",
    "billsec": "billsec",
    "disposition": "disposition",
    "amaflags": "amaflags",
    "accountcode": "accountcode",
    "uniqueid": "uniqueid",
    "userfield": "userfield",
    "peeraccount": "peeraccount",
    "linkedid": "linkedid",
    "sequence": "sequence",
}
KEY_CANDIDATES = ("acctid", "id", "cdr_id")
log = logging.getLogger(__name__)
_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg", "mysql": "mysql+pymysql", "mariadb": "mysql+pymysql"}


def source_engine(url: str) -> Engine:
    """An engine on the PBX's database: `postgresql://` (psycopg 3) or `mysql://`/`mariadb://` (PyMySQL)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"table source url: not a URL: {url!r}")
    if "+" not in scheme:
        if scheme not in _DRIVERS:
            raise ValueError(f"table source url: unsupported database {scheme!r} (postgresql, mysql or mariadb)")
        scheme = _DRIVERS[scheme]
    return create_engine(f"{scheme}://{rest}", pool_pre_ping=True, pool_size=1, max_overflow=0)


def text_of(value: Any) -> str:
    """A column value as the text a CSV line would hold (NULL and MySQL zero dates -> "")."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return str(value)
    if isinstance(value, date):
        return f"{value} 00:00:00"
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, Decimal):
        value = format(value, "f")
    text = str(value)
    return "" if text.startswith("0000-00-00") else text


def _epoch(value: Any) -> str:
    """A time column: cdr_pgsql writes epoch seconds into int/float columns (0: never answered)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return "" if value == 0 else str(datetime.fromtimestamp(float(value), UTC))
    return text_of(value)


class Rows(Protocol):
    """What the rows of one kind of table become: the columns read, and a record per row."""

    kind: ClassVar[str]  # the source's kind in checkpoints and metrics
    sink: ClassVar[Sink]
    keyless: ClassVar[bool]  # can the table be followed by its time column, without a serial key?
    columns: list[str]  # the table's columns read, in this order
    time_column: str  # the column a keyless table is followed by

    def __init__(self, columns: Sequence[str], zone: tzinfo) -> None: ...

    def record(self, row: Sequence[Any]) -> Any:
        """The row's record; a `ValueError` says what is wrong with it."""
        ...

    def state(self) -> dict[str, Any]:
        """What the checkpoint keeps beside the key for the rows to come (JSON-ready; {} for none)."""
        ...

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take up a checkpoint's `state()` again."""
        ...


class RowReader:
    """Turns rows of a CDR table with the given columns into Cdrs (via the CSV parser's field rules)."""

    kind: ClassVar[str] = "table"
    sink: ClassVar[Sink] = CDRS
    keyless: ClassVar[bool] = True

    def __init__(self, columns: Sequence[str], zone: tzinfo) -> None:
        lower = {c.lower(): c for c in columns}
        # calldate wins over start when a table has both (cdr_pgsql semantics)
        chosen: dict[str, str] = {}
        for col, field in COLUMN_FIELDS.items():
            if col in lower and field not in chosen:
                chosen[field] = lower[col]
        if "start" not in chosen:
            raise ValueError("table has neither a calldate nor a start column")
        self.columns = list(chosen.values())
        self.time_column = chosen["start"]
        self.layout = Layout("table", tuple(chosen))
        self.zone = zone

        self._times = {i for i, f in enumerate(self.layout.columns) if f in ("start", "answer", "end")}

    def record(self, row: Sequence[Any]) -> Cdr:
        texts = [_epoch(v) if i in self._times else text_of(v) for i, v in enumerate(row)]
        return cdr_from_fields(texts, self.layout, self.zone)

    def state(self) -> dict[str, Any]:
        return {}

    def restore(self, state: Mapping[str, Any]) -> None:
        """A CDR needs nothing from the rows before it."""


class TableSource:
    """Follows one Asterisk table; the position is JSON (`upto` + `gaps`, or `since`, and the
    rows' own `state()`)."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        table: str = "cdr",
        key: str | None = "auto",
        zone: tzinfo = UTC,
        batch_size: int = 2000,
        poll_seconds: float = 1.0,
        gap_wait: float = 60.0,
        lookback: float = 7200.0,
        clock: PollClock | None = None,
        rows: type[Rows] = RowReader,
    ) -> None:
        self.name = name
        self.rows = rows
        self.kind = rows.kind
        self.url = url
        self.table_name = table
        self.key_spec = key
        self.zone = zone
        self.batch_size = batch_size
        self._poller = Poller(poll_seconds)
        self.gap_wait = gap_wait
        self.lookback = timedelta(seconds=lookback)
        self._clock = clock or PollClock()
        self._looked = 0.0  # the clock at the last look
        self._engine: Engine | None = None
        self._reconnects = 0
        self._opened_once = False

    # -- lifecycle

    def open(self, position: str) -> None:
        try:
            self._engine = source_engine(self.url)
            schema, _, tname = self.table_name.rpartition(".")
            self._table = Table(tname, MetaData(), schema=schema or None, autoload_with=self._engine)
        except SQLAlchemyError as exc:
            self.close()
            raise SourceUnavailable(f"{self.name}: {exc.__class__.__name__}: {exc}".splitlines()[0]) from exc
        if self._opened_once:
            self._reconnects += 1
        self._opened_once = True
        names = [c.name for c in self._table.columns]
        self._rows = self.rows(names, self.zone)
        self._key = self._find_key(names)
        if self._key is None and not self.rows.keyless:
            self.close()
            raise ValueError(f"{self.name}: table {self.table_name} has no serial key column (id): it cannot be followed")
        state = json.loads(position) if position else {}
        self._rows.restore(state)
        self._upto: int = int(state.get("upto", 0))
        self._gaps = Gaps.from_position(state)
        self._looked = self._clock()
        self._since: datetime | None = datetime.fromisoformat(state["since"]) if state.get("since") else None
        self._seen: dict[str, datetime] = {}  # keyless: natural keys read inside the lookback window

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self._engine = None

    def reconnects(self) -> int:
        n, self._reconnects = self._reconnects, 0
        return n

    def _find_key(self, names: Sequence[str]) -> str | None:
        if self.key_spec in (None, "", "none"):
            return None
        lower = {n.lower(): n for n in names}
        if self.key_spec != "auto":
            if self.key_spec.lower() not in lower:
                raise ValueError(f"{self.name}: table {self.table_name} has no key column {self.key_spec!r}")
            return lower[self.key_spec.lower()]
        for cand in KEY_CANDIDATES:
            if cand in lower:
                col = self._table.c[lower[cand]]
                try:
                    if col.type.python_type is int:
                        return lower[cand]
                except NotImplementedError:
                    continue
        return None

    # -- reading

    def read(self, wait: float) -> Batch | None:
        """The next batch; polls at most every `poll_seconds` (`wait=0`: look once, now)."""
        with self._clock.polling():
            return self._poller.read(self._look, wait)

    def _look(self) -> Batch | None:
        try:
            return self._read_keyed() if self._key else self._read_by_date()
        except SQLAlchemyError as exc:
            raise SourceUnavailable(f"{self.name}: {exc.__class__.__name__}: {exc}".splitlines()[0]) from exc

    def _parse(self, rows: Iterable[Sequence[Any]], where: str) -> tuple[list[Any], list[Rejected], list[Any]]:
        records: list[Any] = []
        rejected: list[Rejected] = []
        keys: list[Any] = []
        for row in rows:
            keys.append(row[0])
            try:
                records.append(self._rows.record(row[1:]))
            except ValueError as exc:
                raw = json.dumps(dict(zip(self._rows.columns, map(text_of, row[1:]), strict=True)))
                position = f"{where}={row[0]}"
                if not self._key:  # a calldate is not unique: tell rows apart by their content
                    position += f" row={hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()}"
                rejected.append(Rejected(self.name, position, raw, str(exc)))
        return records, rejected, keys

    def _read_keyed(self) -> Batch | None:
        assert self._engine is not None and self._key is not None
        key = self._table.c[self._key]
        cols = [key, *(self._table.c[c] for c in self._rows.columns)]
        with self._engine.connect() as conn:
            late: list[Sequence[Any]] = []
            if self._gaps.ranges:
                cond = or_(*(and_(key >= int(lo), key <= int(hi)) for lo, hi, _ in self._gaps.ranges))
                late = list(conn.execute(select(*cols).where(cond).order_by(key)))
            rows = list(
                conn.execute(select(*cols).where(key > self._upto).order_by(key).limit(self.batch_size))
            )
        for row in late:
            self._gaps.fill(int(row[0]))
        now = self._clock()
        given_up = self._gaps.give_up(now - self._looked, self.gap_wait)  # only after this look missed them
        self._looked = now
        for lo, hi in given_up:
            log.warning(
                "%s: gave up waiting for %s %s after %g s of polling (rolled back, or committed later than gap_wait)",
                self.name, self._key, lo if lo == hi else f"{lo}..{hi}", self.gap_wait,
            )
        if not rows and not late and not given_up:
            return None
        expect = self._upto + 1
        for row in rows:
            k = int(row[0])
            self._gaps.add(expect, k - 1)
            expect = k + 1
        if rows:
            self._upto = int(rows[-1][0])
        records, rejected, _ = self._parse([*late, *rows], self._key)
        position = json.dumps({"upto": self._upto, "gaps": self._gaps.as_list(), **self._rows.state()})
        return Batch(records, rejected, position, sum(hi - lo + 1 for lo, hi in given_up), self.rows.sink)

    def _read_by_date(self) -> Batch | None:
        assert self._engine is not None
        start_col = self._table.c[self._rows.time_column]
        cols = [start_col, *(self._table.c[c] for c in self._rows.columns)]
        query = select(*cols).order_by(start_col)
        if self._since is not None:
            # the column may hold naive local times: compare in the source's zone
            lo = self._since - self.lookback
            if not getattr(start_col.type, "timezone", False):
                lo = lo.astimezone(self.zone).replace(tzinfo=None)
            query = query.where(start_col >= lo)
            cutoff = self._since - self.lookback
            self._seen = {k: t for k, t in self._seen.items() if t >= cutoff}
        with self._engine.connect() as conn:
            rows = list(conn.execute(query))
        records, rejected, _ = self._parse(rows, "calldate")
        fresh = []
        for record in records:
            natkey = record.natural_key()
            if natkey not in self._seen:
                self._seen[natkey] = self.rows.sink.when(record)
                fresh.append(record)
        newest = max(map(self.rows.sink.when, records), default=None)
        if newest is not None and (self._since is None or newest > self._since):
            self._since = newest
        new_bad = [r for r in rejected if r.position not in self._seen]
        for r in new_bad:
            self._seen[r.position] = newest or datetime.now(UTC)
        if not fresh and not new_bad:
            return None
        position = json.dumps({"since": self._since.isoformat() if self._since else None})
        return Batch(fresh, new_bad, position, sink=self.rows.sink)
