"""LISTEN on a PostgreSQL channel over a connection of its own, kept open: other processes' changes, heard.

Whoever keeps something in memory that another process may change (calldata.auth.key_cache)
needs to know both when a change is announced and whether it could hear one at all: `on_state`
says True once the LISTEN is in place and False as soon as the connection is lost (or stops
answering), and the listener reconnects by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

import asyncpg

logger = logging.getLogger("calldata.store")


@dataclass(eq=False)
class Listener:
    """`on_change()` for every notification on `channel`; `on_state(listening)` as the LISTEN
    comes and goes. A quiet connection is checked every `check_seconds` (a loss the socket does
    not report shows then); after a loss it reconnects every `retry_seconds`."""

    dsn: str
    channel: str
    _: KW_ONLY
    on_change: Callable[[], None]
    on_state: Callable[[bool], None]
    check_seconds: float = 5.0
    retry_seconds: float = 1.0
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _failing: bool = field(default=False, init=False)  # a loss was logged, its end not yet

    @property
    def name(self) -> str:
        """Its connection's application_name (pg_stat_activity shows who listens)."""
        return f"calldata LISTEN {self.channel}"

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except Exception as exc:  # any failure is a loss: say so once, wait, reconnect
                if not self._failing:
                    logger.warning("LISTEN %s: %s; retrying every %s s", self.channel, exc, self.retry_seconds)
                self._failing = True
            await asyncio.sleep(self.retry_seconds)

    async def _listen(self) -> None:
        conn = await asyncpg.connect(self.dsn, timeout=self.check_seconds,
                                     server_settings={"application_name": self.name})
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(self.channel, self._heard)
            self.on_state(True)
            if self._failing:
                logger.warning("LISTEN %s: listening again", self.channel)
                self._failing = False
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self.check_seconds)
                    break
                await conn.execute("SELECT 1", timeout=self.check_seconds)
            raise ConnectionError("connection lost")
        finally:
            self.on_state(False)
            conn.terminate()

    def _heard(self, *_notification: Any) -> None:
        self.on_change()
