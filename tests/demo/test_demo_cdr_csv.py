"""The cdr_csv writer: byte for byte what Asterisk writes, and read back exactly by the CSV parser."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from demo_support import STORIES, STORY_LAYOUT, world
from hypothesis import given, settings
from hypothesis import strategies as st

from calldata.cdr import DISPOSITIONS, Cdr
from calldata.demo.cdr_csv import format_row, write_csv
from calldata.demo.generator import generate
from calldata.ingest.csvfile import detect_layout, raw_records, read_cdrs
from calldata.ingest.layouts import LAYOUTS


def _read(data: bytes, layout: str | None = None) -> tuple[str, list[Cdr]]:
    stream = io.BytesIO(data)
    found = LAYOUTS[layout] if layout else detect_layout(raw_records(stream, limit=200))
    stream.seek(0)
    parsed = list(read_cdrs(stream, found, UTC))
    bad = [p for p in parsed if not isinstance(p.result, Cdr)]
    assert not bad, bad[:3]
    return found.name, [p.result for p in parsed]  # type: ignore[misc]


def _write(records: list[Cdr]) -> bytes:
    out = io.StringIO(newline="")
    assert write_csv(records, out) == len(records)
    return out.getvalue().encode()


def test_asterisk_recordings_are_written_back_byte_for_byte() -> None:
    files = sorted(STORIES.glob("*/Master.csv"))
    assert len(files) > 20
    for path in files:
        original = path.read_bytes()
        _, records = _read(original, STORY_LAYOUT)
        assert _write(records) == original, path


def test_generated_rows_round_trip_through_the_csv_parser() -> None:
    records = list(generate(world(), rows=5000, seed=4))
    data = _write(records)
    layout, back = _read(data)
    assert layout == STORY_LAYOUT
    assert back == records


def test_one_row_with_an_empty_answer_and_quotes() -> None:
    moment = datetime(2026, 11, 29, 2, 3, 16, tzinfo=UTC)
    row = Cdr(start=moment, end=moment + timedelta(seconds=20), clid='"Alice" <201>', src="201", dst="203",
              lastdata="IAX2/acme-203,20", duration=20, disposition="NOANSWER", amaflags=3,
              uniqueid="1795917796.3", linkedid="1795917796.3", sequence=2)
    assert format_row(row) == (
        '"","201","203","","""Alice"" <201>","","","","IAX2/acme-203,20","2026-11-29 02:03:16",,'
        '"2026-11-29 02:03:36",20,0,"NO ANSWER","DOCUMENTATION","1795917796.3","","","1795917796.3",2\n'
    )


_text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\r\n\x85\u2028\u2029"), max_size=30)
_moment = st.integers(min_value=946684800, max_value=4102444800).map(lambda t: datetime.fromtimestamp(t, UTC))


@st.composite
def _records(draw: st.DrawFn) -> Cdr:
    start = draw(_moment)
    duration = draw(st.integers(0, 100_000))
    billsec = draw(st.integers(0, duration))
    answered = draw(st.booleans())
    end = start + timedelta(seconds=duration)
    return Cdr(
        start=start,
        answer=end - timedelta(seconds=billsec) if answered else None,
        end=end,
        duration=duration,
        billsec=billsec if answered else 0,
        disposition=draw(st.sampled_from(DISPOSITIONS)),
        amaflags=draw(st.sampled_from([0, 1, 2, 3])),
        sequence=draw(st.integers(0, 2**31 - 1)),
        **{name: draw(_text) for name in ("clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp",
                                          "lastdata", "accountcode", "userfield", "peeraccount")},
        uniqueid=draw(st.from_regex(r"\A[0-9]{10}\.[0-9]{1,6}\Z")),
        linkedid=draw(_text),
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(_records(), min_size=1, max_size=5))
def test_any_record_round_trips(records: list[Cdr]) -> None:
    _, back = _read(_write(records), STORY_LAYOUT)
    assert back == records
