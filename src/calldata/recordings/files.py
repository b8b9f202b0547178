"""The audio files of the recordings directory: which ones, their media type and length.

Lengths come from the WAV header (stdlib `wave`) or, for headerless formats of fixed bit rate
that Asterisk writes (gsm, ulaw, alaw, sln), from the size; mp3 and ogg would need decoding, so
their length is left unknown (NULL) and the API falls back to the leg's billsec.
"""

from __future__ import annotations

import os
import wave
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from calldata.recordings.paths import UnsafePath, resolved

# suffix (lower case) -> (media type, bytes per second of a headerless format or None)
FORMATS: dict[str, tuple[str, int | None]] = {
    ".wav": ("audio/wav", None),  # PCM (MixMonitor's `wav`) or GSM in WAV (`WAV`/`wav49`): header
    ".wav49": ("audio/wav", None),
    ".gsm": ("audio/x-gsm", 1650),  # 33-byte frames of 20 ms
    ".ulaw": ("audio/basic", 8000),
    ".ul": ("audio/basic", 8000),
    ".alaw": ("audio/x-alaw-basic", 8000),
    ".al": ("audio/x-alaw-basic", 8000),
    ".sln": ("audio/L16;rate=8000", 16000),
    ".mp3": ("audio/mpeg", None),
    ".ogg": ("audio/ogg", None),
    ".oga": ("audio/ogg", None),
    ".opus": ("audio/ogg", None),
}


class AudioFile(NamedTuple):
    """One file as the scan stores it."""

    path: str  # relative to the directory, "/"-separated
    size: int
    mtime: datetime
    content_type: str
    duration_ms: int | None


class Listing(NamedTuple):
    """The audio files found (relative path -> stat) and the names refused (a link leading outside, a name no client could ask for)."""

    files: dict[str, os.stat_result]
    refused: list[str]


def media_type(path: str) -> str | None:
    """The media type of a recording's name; None when it is not an audio format we keep."""
    found = FORMATS.get(Path(path).suffix.lower())
    return None if found is None else found[0]


def listing(root: Path) -> Listing:
    """Every audio file under `root` (date subfolders too), without following links out of it."""
    files: dict[str, os.stat_result] = {}
    refused: list[str] = []
    for rel in _walk(root):
        try:
            real = resolved(root, rel)
            if real is not None:
                files[rel] = real.stat()
        except UnsafePath:
            refused.append(rel)
        except OSError:  # removed while the scan walked
            continue
    return Listing(files, refused)


def _walk(root: Path) -> Iterator[str]:
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        base = Path(folder).relative_to(root)
        for name in sorted(names):
            rel = (base / name).as_posix()
            if media_type(rel) is not None and not name.startswith("."):
                yield rel


def described(root: Path, rel: str, stat: os.stat_result) -> AudioFile:
    """The row of one file: its size, modification time, media type and length (if known)."""
    content_type, rate = FORMATS[Path(rel).suffix.lower()]
    if rate is not None:
        duration = stat.st_size * 1000 // rate
    elif content_type == "audio/wav":
        duration = wav_duration_ms(root / rel)
    else:
        duration = None
    return AudioFile(rel, stat.st_size, described_mtime(stat), content_type, duration)


def described_mtime(stat: os.stat_result) -> datetime:
    """The modification time as stored: aware UTC, whole microseconds (what both databases keep)."""
    seconds, nanoseconds = divmod(stat.st_mtime_ns, 10**9)
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=nanoseconds // 1000)


def wav_duration_ms(path: Path) -> int | None:
    """Milliseconds of a PCM WAV from its header; None for a header `wave` cannot read (GSM in
    WAV, a file still being written with no frames yet, not a WAV at all)."""
    try:
        with wave.open(str(path), "rb") as audio:
            frames, rate = audio.getnframes(), audio.getframerate()
    except (wave.Error, EOFError, OSError):
        return None
    return round(frames * 1000 / rate) if rate else None
