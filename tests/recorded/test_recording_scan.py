"""`recordings.scan.scan` on the stored world: the run-2 recordings tied to their legs, and rescans."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from calldata.recordings.scan import scan
from calldata.recordings.schema import recording
from recorded_tree import INBOUND, OUTBOUND, SOURCES, recordings_tree
from stored_world import acctid_of


def stored(engine: Engine) -> dict[str, dict]:
    with engine.connect() as conn:
        return {row.path: dict(row._mapping) for row in conn.execute(select(recording))}


def test_the_recordings_are_tied_to_their_legs_with_size_and_length(world: Engine, tmp_path: Path) -> None:
    root = recordings_tree(tmp_path / "monitor")
    # a known mtime with nanoseconds: stored to the microsecond, truncated (never a float's rounding)
    os.utime(root / OUTBOUND, ns=(1_795_965_600_000_000_000, 1_795_965_586_123_456_789))
    report = scan(world, root)
    assert (report.files, report.added, report.updated, report.removed, report.untied) == (2, 2, 0, 0, [])
    rows = stored(world)
    outbound, inbound = rows[OUTBOUND], rows[f"2026/11/29/{INBOUND}"]
    assert [outbound["acctid"]] == acctid_of(world, "1795965576.57")
    assert [inbound["acctid"]] == acctid_of(world, "1795965601.60")
    assert (outbound["uniqueid"], outbound["size"], outbound["duration_ms"]) == ("1795965576.57", 160364, 10020)
    assert (inbound["uniqueid"], inbound["size"], inbound["duration_ms"]) == ("1795965601.60", 128364, 8020)
    assert outbound["content_type"] == inbound["content_type"] == "audio/wav"
    assert outbound["mtime"] == datetime(2026, 11, 29, 15, 19, 46, 123456, tzinfo=UTC)


def test_a_file_without_call_rec_is_tied_by_the_uniqueid_in_its_name(world: Engine, tmp_path: Path) -> None:
    root = tmp_path / "monitor"
    root.mkdir()
    (root / "copy-1795965576.57.wav").write_bytes(SOURCES[OUTBOUND].read_bytes())
    (root / "nobody-20261129.wav").write_bytes(SOURCES[OUTBOUND].read_bytes())
    report = scan(world, root)
    assert report.untied == ["nobody-20261129.wav"]
    rows = stored(world)
    assert [rows["copy-1795965576.57.wav"]["acctid"]] == acctid_of(world, "1795965576.57")
    assert rows["nobody-20261129.wav"]["acctid"] is None


def test_a_rescan_changes_only_what_changed_and_forgets_removed_files(world: Engine, tmp_path: Path) -> None:
    root = recordings_tree(tmp_path / "monitor")
    scan(world, root)
    first = stored(world)
    again = scan(world, root)
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert stored(world) == first
    with (root / OUTBOUND).open("ab") as audio:
        audio.write(b"\0" * 100)  # still growing
    (root / "2026" / "11" / "29" / INBOUND).unlink()
    changed = scan(world, root)
    assert (changed.files, changed.added, changed.updated, changed.removed) == (1, 0, 1, 1)
    rows = stored(world)
    assert set(rows) == {OUTBOUND} and rows[OUTBOUND]["size"] == 160464
    assert rows[OUTBOUND]["id"] == first[OUTBOUND]["id"]  # the same row: list pages stay in order


def test_links_leading_outside_and_other_files_are_not_stored(world: Engine, tmp_path: Path) -> None:
    root = recordings_tree(tmp_path / "monitor")
    outside = tmp_path / "secret.wav"
    outside.write_bytes(SOURCES[OUTBOUND].read_bytes())
    (root / "escape.wav").symlink_to(outside)
    (root / "inside-link.wav").symlink_to(root / OUTBOUND)
    (root / "notes.txt").write_text("not audio")
    report = scan(world, root)
    assert report.refused == ["escape.wav"]
    assert set(stored(world)) == {OUTBOUND, f"2026/11/29/{INBOUND}", "inside-link.wav"}
