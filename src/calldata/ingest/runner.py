"""The run loop: read a batch, store it with its checkpoint in one transaction, retry on any outage.

Each source runs in a thread of its own. A source failure (server down, file gone) closes the
source and reopens it at the last committed position after a backoff; a store failure keeps the
batch in memory and stores it again, so nothing read is dropped and nothing is stored twice.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Sequence

import msgspec
from sqlalchemy import Engine

from calldata.ingest import checkpoints
from calldata.ingest.progress import ProgressLog
from calldata.ingest.sink import Stored
from calldata.ingest.source import Batch, Source, SourceUnavailable
from calldata.store.quarantine import Rejected

log = logging.getLogger("calldata.ingest")


class Backoff:
    """Exponential delays with jitter: 0.5 s doubling up to `ceiling`, reset after a success."""

    def __init__(self, first: float = 0.5, ceiling: float = 30.0) -> None:
        self.first = first
        self.ceiling = ceiling
        self.delay = first

    def next(self) -> float:
        delay = self.delay
        self.delay = min(self.delay * 2, self.ceiling)
        return delay * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self.delay = self.first


def _record_json(record: msgspec.Struct) -> str:
    return msgspec.json.encode(record).decode()


def _refused(exc: BaseException) -> bool:
    """Did the database refuse the data (PEP 249 DataError / IntegrityError), whichever layer
    raised it (SQLAlchemy wraps the driver's; a COPY through the raw driver does not)?"""
    return any(cls.__name__ in ("DataError", "IntegrityError") for cls in type(exc).__mro__)


def store(engine: Engine, source: Source, batch: Batch) -> Stored:
    """Store a batch through its sink and advance the source's checkpoint in one transaction.

    A record the store refuses (a constraint or a value it cannot hold) is quarantined on its
    own and the rest are stored: each is retried in a transaction of its own, which is safe
    because the natural key makes a repeated insert a no-op.
    """
    try:
        with engine.begin() as conn:
            stored = batch.sink.store(conn, batch.records, batch.rejected)
            checkpoints.save(conn, source.name, source.kind, batch.position, stored, batch.newest(), batch.given_up)
        return stored
    except Exception as exc:
        if not _refused(exc):
            raise
    total = Stored()
    bad: list[Rejected] = list(batch.rejected)
    for record in batch.records:
        try:
            with engine.begin() as conn:
                total += batch.sink.store(conn, [record], [])
        except Exception as exc:
            if not _refused(exc):
                raise
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            bad.append(Rejected(source.name, f"record {record.natural_key()}", _record_json(record), f"store: {reason}"))
    with engine.begin() as conn:
        stored = batch.sink.store(conn, [], bad)
        total += stored
        checkpoints.save(conn, source.name, source.kind, batch.position, total, batch.newest(), batch.given_up)
    return total


class Runner:
    """Runs sources until `stop` is set; never exits on an outage."""

    def __init__(self, engine: Engine, sources: Sequence[Source], *, wait: float = 0.5,
                 progress_seconds: float = 60.0) -> None:
        self.engine = engine
        self.sources = list(sources)
        self.wait = wait
        self.progress_seconds = progress_seconds
        self.stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for source in self.sources:
            thread = threading.Thread(target=self._run, args=(source,), name=f"ingest-{source.name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def join(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def run(self) -> None:
        """Run in the foreground until `stop` is set."""
        self.start()
        while not self.stop.wait(0.5):
            pass
        self.join(10)

    def _note(self, source: Source, error: str, *, reconnect: bool) -> None:
        """Best effort: the store may be what is down."""
        try:
            with self.engine.begin() as conn:
                checkpoints.note_error(conn, source.name, source.kind, error, reconnect=reconnect)
        except Exception:  # noqa: BLE001 - the error is logged by the caller
            pass

    def _committed(self, source: Source, backoff: Backoff) -> str:
        while not self.stop.is_set():
            try:
                with self.engine.connect() as conn:
                    state = checkpoints.load(conn, source.name)
                return "" if state is None else state.position
            except Exception as exc:  # noqa: BLE001 - the store is down: wait and retry
                log.warning("%s: store unavailable (%s); retrying", source.name, str(exc).splitlines()[0])
                self.stop.wait(backoff.next())
        return ""

    def _run(self, source: Source) -> None:
        backoff = Backoff()
        position = self._committed(source, backoff)
        opened = False
        pending: Batch | None = None
        progress = ProgressLog(source.name, self.progress_seconds)
        while not self.stop.is_set():
            progress.tick()
            try:
                if not opened:
                    source.open(position)
                    opened = True
                    log.info("%s: reading from %s", source.name, position or "the beginning")
                if pending is None:
                    pending = source.read(self.wait)
                if n := source.reconnects():
                    for _ in range(n):
                        self._note(source, "reconnected", reconnect=True)
            except Exception as exc:  # noqa: BLE001 - an outage or a surprise: never exit, retry
                if isinstance(exc, SourceUnavailable | OSError):
                    log.warning("%s: %s; retrying", source.name, exc)
                else:
                    log.exception("%s: unexpected error; retrying", source.name)
                source.close()
                opened = False
                self._note(source, str(exc), reconnect=False)
                self.stop.wait(backoff.next())
                continue
            if pending is None:
                continue
            try:
                stored = store(self.engine, source, pending)
            except Exception as exc:  # noqa: BLE001 - keep the batch and try again
                log.warning("%s: store failed (%s); retrying", source.name, str(exc).splitlines()[0])
                self.stop.wait(backoff.next())
                continue
            if stored.inserted or stored.quarantined:
                log.debug("%s: +%d rows, %d quarantined", source.name, stored.inserted, stored.quarantined)
            progress.add(stored, pending.newest())
            position = pending.position
            pending = None
            backoff.reset()
        source.close()
