"""Log lines of the long-running commands (serve, ingest run): one line each, ISO-8601 times."""

from __future__ import annotations

import logging
from datetime import datetime

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class IsoFormatter(logging.Formatter):
    """Times as ISO 8601 with the offset (2026-11-29T16:50:01.123+00:00): sortable, unambiguous."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


class _AlembicChatter(logging.Filter):
    """Alembic's "Context impl ..." and "Will assume ... DDL" on every start tell an operator nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Context impl", "Will assume"))


def setup(level: int = logging.INFO) -> None:
    """Log to stderr at `level` (uvicorn's loggers too, given log_config=None); idempotent."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, IsoFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(IsoFormatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic.runtime.migration").addFilter(_AlembicChatter())
