"""`calldata demo` writes short recordings for the latest recorded calls and scans them: the
list and download routes have something to play."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import wave
from pathlib import Path

import httpx
from demo_support import REPO
from servers import served

PYTHON = REPO / ".venv" / "bin" / "python"


def test_the_demo_recordings_are_written_scanned_and_played(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CALLDATA_")}
    executable = str(PYTHON) if PYTHON.exists() else sys.executable
    done = subprocess.run([executable, "-m", "calldata", "demo", "--rows", "3000", "--no-serve"], cwd=tmp_path,
                          env=environ, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "calldata-demo.sqlite3.recordings"
    files = sorted(folder.glob("*.wav"))
    assert 0 < len(files) <= 100 and all(f.stat().st_size < 10_000 for f in files)
    assert f"{len(files)} of {len(files)} tied to their legs" in " ".join(done.stderr.split())
    assert "/rest/call/list" in done.stdout
    key = next(line.split()[-1] for line in done.stdout.splitlines() if line.startswith("admin API key:"))
    store = f"sqlite:///{tmp_path / 'calldata-demo.sqlite3'}"
    with served(store, {"CALLDATA_RECORDINGS_DIR": str(folder)}) as base:
        auth = {"authorization": f"Bearer {key}"}
        listed = httpx.post(f"{base}/rest/call/list", json={"scope": {"type": "recording"}}, headers=auth).json()
        assert {v["file"] for v in listed["values"]} == {f.name for f in files}
        played = httpx.get(f"{base}/rest/call/download/recording", params={"file": files[0].name}, headers=auth)
    assert played.status_code == 200 and played.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(played.content)) as audio:
        assert (audio.getframerate(), audio.getsampwidth(), audio.getnframes()) == (8000, 2, 4000)
