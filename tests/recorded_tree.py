"""A recordings directory for the tests: the real run-2 recordings, laid out as MixMonitor may."""

from __future__ import annotations

import shutil
from pathlib import Path

from recordings import RUNS

RUN2 = RUNS[1]
OUTBOUND = "acme-20261129-151936-1795965576.57-201-01632960555.wav"  # 10.0 s, leg 1795965576.57
INBOUND = "acme-20261129-152001-1795965601.60-07700900016-201.wav"  # 8.0 s, leg 1795965601.60
SOURCES = {
    OUTBOUND: RUN2 / "34-acme-201-external-recorded" / "recordings" / OUTBOUND,
    INBOUND: RUN2 / "35-inbound-ddi-201-recorded" / "recordings" / INBOUND,
}


def recordings_tree(root: Path) -> Path:
    """`root` holding the outbound recording at the top and the inbound one in a date folder."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SOURCES[OUTBOUND], root / OUTBOUND)
    dated = root / "2026" / "11" / "29"
    dated.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SOURCES[INBOUND], dated / INBOUND)
    return root
