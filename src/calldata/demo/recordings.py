"""The demo's recordings: a short generated WAV for each of the latest recorded calls, then scanned.

The generator names a recording in the leg's userfield (`call_rec=acme-...wav`); this writes a
file of that name (half a second of a tone, 8 kHz 16-bit mono as MixMonitor writes, 8 KB) so the
list and download routes have something to play. Real lengths would cost megabytes for nothing.
"""

from __future__ import annotations

import math
import sys
import wave
from array import array
from pathlib import Path

from sqlalchemy import Engine, func, select

from calldata.store.schema import cdr

COUNT = 100  # the latest answered recorded legs given a file
RATE = 8000
SECONDS = 0.5


def folder(credentials: Path) -> Path:
    """Beside the demo's other files: `calldata-demo.sqlite3.recordings/` next to its credentials file."""
    return credentials.with_suffix(".recordings")


def tone(pitch: float) -> bytes:
    """SECONDS of a sine at `pitch` Hz, faded in and out (no clicks), as 16-bit little-endian samples."""
    frames = int(RATE * SECONDS)
    fade = RATE // 50
    samples = array("h", (int(8000 * min(1, i / fade, (frames - i) / fade) * math.sin(2 * math.pi * pitch * i / RATE))
                          for i in range(frames)))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def write(engine: Engine, into: Path, count: int = COUNT) -> int:
    """A WAV in `into` for each of the latest `count` answered legs naming one (kept when already
    there); how many were written."""
    into.mkdir(parents=True, exist_ok=True)
    query = (select(cdr.c.call_rec).where(cdr.c.call_rec != "", cdr.c.disposition == "ANSWERED")
             .group_by(cdr.c.call_rec).order_by(func.max(cdr.c.calldate).desc()).limit(count))
    with engine.connect() as conn:
        names = list(conn.execute(query).scalars())
    written = 0
    for index, name in enumerate(names):
        path = into / Path(name).name
        if path.exists():
            continue
        with wave.open(str(path), "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(RATE)
            audio.writeframes(tone(330 + 55 * (index % 8)))
        written += 1
    return written
