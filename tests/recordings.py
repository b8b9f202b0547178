"""Where the tests' recorded Asterisk data lives: tests/data/, copied in by scripts/sync-test-data."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
STORIES = DATA / "asterisk-real"  # the first real run (IAX2); one folder per call story, and all/
RUNS = (STORIES, DATA / "asterisk-real-2", DATA / "asterisk-real-3")  # IAX2 again (queues,
# transfers, conference), then the same PBX on PJSIP
DIRECTORY_YAML = DATA / "world" / "directory.yaml"  # the example PBX behind every recorded run


def stories(run: Path) -> list[Path]:
    """The story folders of one run (each with its expected.json), in name order."""
    return sorted(p for p in run.iterdir() if (p / "expected.json").exists())


def all_stories() -> list[Path]:
    return [story for run in RUNS for story in stories(run)]


def carol_moved() -> str:
    """The example directory with Carol's extension (and phones) moved from Acme to Globex: stored
    legs say so only once reprocessed."""
    return DIRECTORY_YAML.read_text().replace(
        '"203": {name: Carol, type: user, devices: ["IAX2/acme-203", "PJSIP/acme-203"]}', "").replace(
        '"202": {name: Marge,', '"203": {name: Carol, type: user, devices: ["IAX2/acme-203", "PJSIP/acme-203"]}\n'
        '      "202": {name: Marge,')
