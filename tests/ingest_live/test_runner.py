"""The run loop itself: a source that fails in any way is reopened at the committed position."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from calldata.cdr import Cdr
from calldata.ingest import checkpoints
from calldata.ingest.runner import Runner
from calldata.ingest.source import Batch

from livesupport import stored_count, wait_for


class Flaky:
    """Three batches; fails after the first with an error no source is expected to raise."""

    name = "flaky"
    kind = "test"

    def __init__(self) -> None:
        self.opened_at: list[str] = []
        self.failed = False
        self.next = 0

    def open(self, position: str) -> None:
        self.opened_at.append(position)
        self.next = int(position or 0)

    def close(self) -> None:
        pass

    def reconnects(self) -> int:
        return 0

    def read(self, wait: float) -> Batch | None:
        if self.next == 1 and not self.failed:
            self.failed = True
            raise ZeroDivisionError("a bug, not an outage")
        if self.next >= 3:
            return None
        n = self.next
        self.next += 1
        record = Cdr(start=datetime(2026, 11, 29, tzinfo=UTC), uniqueid=f"flaky.{n}", disposition="ANSWERED")
        return Batch([record], [], str(self.next))


def test_an_unexpected_source_error_is_retried_from_the_checkpoint(engine: Engine) -> None:
    source = Flaky()
    runner = Runner(engine, [source], wait=0.05)
    runner.start()
    try:
        assert wait_for(lambda: stored_count(engine) == 3, timeout=15)
        assert all(t.is_alive() for t in runner._threads)
    finally:
        runner.stop.set()
        runner.join(10)
    assert source.opened_at == ["", "1"]  # reopened where the committed checkpoint stood
    with engine.connect() as conn:
        state = checkpoints.load(conn, "flaky")
    assert state is not None and (state.position, state.inserted, state.present) == ("3", 3, 0)
