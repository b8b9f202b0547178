"""Recording names (pure): which are refused, what a link leads to, which uniqueid a name holds,
and which leg a file goes to."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calldata.recordings.files import described, listing, media_type
from calldata.recordings.match import Leg, leg_for, uniqueids
from calldata.recordings.paths import UnsafePath, checked_name, resolved


@pytest.mark.parametrize(("name", "problem"), [
    ("../etc/passwd", "leaves the directory"),
    ("/etc/passwd", "absolute"),
    ("2026/../../x.wav", "leaves the directory"),
    ("%2e%2e/etc/passwd", "leaves the directory (..) once percent-decoded"),
    ("%252e%252e/etc/passwd", "once percent-decoded"),
    ("..%2fx.wav", "once percent-decoded"),
    ("%2fetc/passwd", "absolute path once percent-decoded"),
    ("x\x00.wav", "NUL"),
    ("a\\..\\x.wav", "backslash"),
    ("a//x.wav", "empty or '.' segment"),
    ("./x.wav", "empty or '.' segment"),
    ("", "empty"),
    ("x\ud800.wav", "lone surrogate"),
    ("x" * 1025, "longer than"),
])
def test_names_that_could_leave_the_directory_are_refused(name: str, problem: str) -> None:
    with pytest.raises(UnsafePath, match=problem.replace("(", r"\(").replace(")", r"\)")):
        checked_name(name)


@given(st.lists(st.sampled_from(["..", ".", "", "a", "%2e%2e", "%2E.", "b.wav"]), min_size=1, max_size=5))
def test_a_name_accepted_never_climbs_out(parts: list[str]) -> None:
    name = "/".join(parts)
    try:
        checked_name(name)
    except UnsafePath:
        return
    assert not Path("/root/monitor", name).resolve().relative_to("/root/monitor").as_posix().startswith("..")
    assert ".." not in name.lower().replace("%2e", ".").split("/")


def test_a_link_is_followed_only_inside_the_directory(tmp_path: Path) -> None:
    root = tmp_path / "monitor"
    root.mkdir()
    (root / "a.wav").write_bytes(b"audio")
    (tmp_path / "secret.wav").write_bytes(b"secret")
    (root / "inside.wav").symlink_to(root / "a.wav")
    (root / "escape.wav").symlink_to(tmp_path / "secret.wav")
    (root / "folder").symlink_to(tmp_path)
    assert resolved(root, "inside.wav") == (root / "a.wav").resolve()
    assert resolved(root, "missing.wav") is None
    assert resolved(root, "x" * 300 + ".wav") is None  # too long for the disk: no such file
    for name in ("escape.wav", "folder/secret.wav"):
        with pytest.raises(UnsafePath, match="through a link"):
            resolved(root, name)
    assert listing(root).refused == ["escape.wav"]  # os.walk does not descend into `folder`


def test_lengths_come_from_the_header_or_the_bit_rate(tmp_path: Path) -> None:
    (tmp_path / "call.gsm").write_bytes(b"\0" * 33 * 150)  # 150 frames of 20 ms
    (tmp_path / "call.mp3").write_bytes(b"\xff\xfb" + b"\0" * 998)
    (tmp_path / "broken.wav").write_bytes(b"RIFF? not really")
    found = listing(tmp_path).files
    assert described(tmp_path, "call.gsm", found["call.gsm"]).duration_ms == 3000
    mp3 = described(tmp_path, "call.mp3", found["call.mp3"])
    assert (mp3.content_type, mp3.size, mp3.duration_ms) == ("audio/mpeg", 1000, None)
    assert described(tmp_path, "broken.wav", found["broken.wav"]).duration_ms is None
    assert media_type("notes.txt") is None and media_type("X.WAV") == "audio/wav"


def test_the_uniqueid_is_found_in_mixmonitor_names() -> None:
    assert uniqueids("acme-20261129-151936-1795965576.57-201-01632960555.wav") == ["1795965576.57"]
    assert uniqueids("2026/11/29/pbx1-1795965601.60.wav") == ["1795965601.60"]
    assert uniqueids("acme-20261129-151936-201-01632960555.wav") == []


def test_the_leg_call_rec_names_wins_then_the_uniqueid_then_answered_then_the_first() -> None:
    name = "acme-20261129-151936-1795965576.57-201-01632960555.wav"
    queue_rows = [Leg(5, "1795965576.57", "", "NO ANSWER"), Leg(6, "1795965576.57", "", "ANSWERED")]
    assert leg_for(name, "/m", queue_rows) == queue_rows[1]
    named = Leg(9, "1795965599.1", f"/m/2026/{name}", "ANSWERED")
    assert leg_for(f"2026/{name}", "/m", [*queue_rows, named]) == named
    assert leg_for(name, "/m", [Leg(1, "1795965000.1", "other.wav", "ANSWERED")]) is None
