"""Asterisk's realtime queue_log table (extconfig.conf `queue_log => pgsql,...` or odbc), row by row.

Asterisk stores `time, callid, queuename, agent, event` and `data1..data5` (or one `data`
column holding `data1|data2|...` when the table has no data1..5), and the integrator's serial
`id`. `time` is written as `YYYY-MM-DD HH:MM:SS.ffffff` in the PBX's local time (UTC with
logger.conf `queue_log_realtime_use_gmt = yes`): naive times are read in the source's zone, and
kept to the second like the file's epoch seconds, so an event has one natural key either way.
`calldata.ingest.table.TableSource` follows the table by its key, gaps included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any, ClassVar

import msgspec

from calldata.ingest.sink import QUEUE_EVENTS, Sink
from calldata.ingest.table import text_of
from calldata.queues.event import DATA_FIELDS, QueueEvent, QueueLogError, Repeats, event_time, make

FIELDS = ("time", "callid", "queuename", "agent", "event")
# Rows can commit out of key order (a pool of writers); identical events are numbered over this
# many seconds before the newest one seen, so a late row still gets its own repeat number.
REPEAT_WINDOW = 30


class QueueRows:
    """Rows of a realtime queue_log table as queue events, numbered like the file's lines."""

    kind: ClassVar[str] = "queue_log_table"
    sink: ClassVar[Sink] = QUEUE_EVENTS
    keyless: ClassVar[bool] = False  # re-reading a window by time would number repeats anew

    def __init__(self, columns: Sequence[str], zone: tzinfo) -> None:
        lower = {c.lower(): c for c in columns}
        missing = [f for f in FIELDS if f not in lower]
        if missing:
            raise ValueError(f"not a queue_log table: no {', '.join(missing)} column")
        data = [lower[f"data{n}"] for n in range(1, DATA_FIELDS + 1) if f"data{n}" in lower]
        if not data and "data" in lower:
            data = [lower["data"]]
        self.columns = [lower[f] for f in FIELDS] + data
        self.time_column = lower["time"]
        self.zone = zone
        self._split = data == [lower.get("data")]  # one `data` column: Asterisk joined the fields with "|"
        self._repeats = Repeats(window=REPEAT_WINDOW)

    def _time(self, value: Any) -> datetime:
        """A `time` value: a timestamp column, its text, or epoch seconds; naive times are the PBX's zone."""
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            value = str(int(value))
        if not isinstance(value, datetime):
            text = text_of(value).strip()
            if not text or text.isdigit():
                return event_time(text)  # epoch seconds (or the error naming an empty time)
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                raise QueueLogError(f"time: not a date and time: {text!r}") from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.zone)
        return value.astimezone(UTC).replace(microsecond=0)

    def record(self, row: Sequence[Any]) -> QueueEvent:
        callid, queue, agent, event = (text_of(v) for v in row[1:5])
        data = [text_of(v) for v in row[5:]]
        if self._split:
            data = data[0].split("|")
        return self._repeats.number(make(self._time(row[0]), callid, queue, agent, event, data))

    def state(self) -> dict[str, Any]:
        return {"repeats": msgspec.to_builtins(self._repeats)}

    def restore(self, state: Mapping[str, Any]) -> None:
        repeats = msgspec.convert(state.get("repeats", {}), Repeats, strict=False)  # JSON made its keys text
        self._repeats = msgspec.structs.replace(repeats, window=REPEAT_WINDOW)
