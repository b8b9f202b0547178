"""Where the tests' recorded Asterisk data lives: tests/data/, copied in by scripts/sync-test-data."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
STORIES = DATA / "asterisk-real"  # the first real run (IAX2); one folder per call story, and all/
DIRECTORY_YAML = DATA / "world" / "directory.yaml"  # the example PBX behind every recorded run
