"""The pure parser: every layout, Asterisk's quoting, bad lines, encodings, time zones, multi-line records."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calldata.cdr import Cdr, CdrValueError
from calldata.ingest.csvfile import LayoutError, detect_layout, parse_line, raw_records, read_cdrs
from calldata.ingest.layouts import LAYOUTS, layout_from_spec
from csv_samples import DATA, GOOD, asterisk_quote, fields, with_field

LONDON = ZoneInfo("Europe/London")
CSV21 = LAYOUTS["cdr_csv+loguniqueid+loguserfield+newcdrcolumns"]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# What the two calls in every tests/ingest_csv/data file are, read in Europe/London (BST, +01:00).
ROW1 = dict(
    clid='"Alice" <201>', src="201", dst="202",
    start=utc(2024, 7, 1, 9, 0, 0), answer=utc(2024, 7, 1, 9, 0, 5), end=utc(2024, 7, 1, 9, 1, 5),
    duration=65, billsec=60, disposition="ANSWERED", amaflags=3,
)
ROW2 = dict(
    clid='"Alice" <201>', src="201", dst="203",
    start=utc(2024, 7, 1, 9, 5, 0), answer=None, end=utc(2024, 7, 1, 9, 5, 20),
    duration=20, billsec=0, disposition="NOANSWER", amaflags=3,
)
SIP1 = dict(dcontext="default", channel="SIP/201-0a1b2c3d", dstchannel="SIP/202-0b2c3d4e", lastapp="Dial", lastdata="SIP/202,20,tT")
SIP2 = dict(dcontext="default", channel="SIP/201-0a1b2c3e", dstchannel="SIP/203-0b2c3d4f", lastapp="Dial", lastdata="SIP/203,20,tT")
PJSIP1 = dict(accountcode="acme", dcontext="acme", channel="PJSIP/201-00000001", dstchannel="PJSIP/202-00000002", lastapp="Dial", lastdata="PJSIP/202,20,tT")
PJSIP2 = dict(accountcode="acme", dcontext="acme", channel="PJSIP/201-00000003", dstchannel="", lastapp="Hangup", lastdata="")
UID = ({"uniqueid": "1719824400.12"}, {"uniqueid": "1719824700.15"})
USERFIELD = ({"userfield": "call_rec=rec-1.wav"}, {"userfield": ""})
NEW = (
    {"peeraccount": "acme", "linkedid": "1719824400.12", "sequence": 3},
    {"peeraccount": "", "linkedid": "1719824700.15", "sequence": 7},
)

EXPECTED: dict[str, tuple[dict, dict]] = {
    "cdr_csv": (
        {**SIP1, "lastdata": "SIP/202|20|tT"},
        {**SIP2, "lastdata": "SIP/203|20|tT", "accountcode": "sales", "amaflags": 2},
    ),
    "cdr_csv+loguniqueid": (
        {**SIP1, **UID[0]},
        {**SIP2, "uniqueid": "pbx1-1719824700.15"},
    ),
    "cdr_csv+loguserfield": ({**SIP1, **USERFIELD[0]}, {**SIP2, **USERFIELD[1]}),
    "cdr_csv+loguniqueid+loguserfield": ({**SIP1, **UID[0], **USERFIELD[0]}, {**SIP2, **UID[1], **USERFIELD[1]}),
    "cdr_csv+newcdrcolumns": ({**PJSIP1, **NEW[0]}, {**PJSIP2, **NEW[1]}),
    "cdr_csv+loguniqueid+newcdrcolumns": ({**PJSIP1, **UID[0], **NEW[0]}, {**PJSIP2, **UID[1], **NEW[1]}),
    "cdr_csv+loguserfield+newcdrcolumns": ({**PJSIP1, **USERFIELD[0], **NEW[0]}, {**PJSIP2, **USERFIELD[1], **NEW[1]}),
    "cdr_csv+loguniqueid+loguserfield+newcdrcolumns": (
        {**PJSIP1, **UID[0], **USERFIELD[0], **NEW[0]},
        {**PJSIP2, **UID[1], **USERFIELD[1], **NEW[1]},
    ),
    # cdr_custom has no peeraccount / linkedid, and its sequence is the last column
    "cdr_custom": ({**PJSIP1, **UID[0], **USERFIELD[0], "sequence": 3}, {**PJSIP2, **UID[1], **USERFIELD[1], "sequence": 7}),
    "cdr_custom-nosequence": ({**PJSIP1, **UID[0], **USERFIELD[0]}, {**PJSIP2, **UID[1], **USERFIELD[1]}),
}


def test_every_layout_has_a_sample_file() -> None:
    assert set(EXPECTED) == set(LAYOUTS) == {p.stem for p in DATA.glob("*.csv")}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_layout_is_detected_and_parsed(name: str) -> None:
    path = DATA / f"{name}.csv"
    with path.open("rb") as stream:
        layout = detect_layout(raw_records(stream, limit=100))
    assert layout.name == name
    assert len(layout.columns) == {"cdr_custom": 19, "cdr_custom-nosequence": 18}.get(name, 16 + name.count("+loguniqueid") + name.count("+loguserfield") + 3 * name.count("+newcdrcolumns"))
    with path.open("rb") as stream:
        got = [p.result for p in read_cdrs(stream, layout, LONDON)]
    want = [Cdr(**{**ROW1, **EXPECTED[name][0]}), Cdr(**{**ROW2, **EXPECTED[name][1]})]
    assert got == want


def test_asterisk_quoting_of_an_empty_caller_name() -> None:
    # Story 25 wrote `""""" <202>"`: the text `"" <202>` (an empty name in quotes).
    cdr = parse_line(with_field(4, '""""" <202>"').encode(), CSV21, UTC)
    assert cdr.clid == '"" <202>'
    assert parse_line(GOOD.encode(), CSV21, UTC).lastdata == "IAX2/acme-202,20,tTkKb(predial-device^s^1(acme,1))"


_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=30)


@settings(deadline=None)  # timing is for bench/, not tests (a shared machine)
@given(clid=_text, lastdata=_text, userfield=_text)
def test_any_text_written_the_asterisk_way_reads_back(clid: str, lastdata: str, userfield: str) -> None:
    line = with_field(4, asterisk_quote(clid), f8=asterisk_quote(lastdata), f17=asterisk_quote(userfield))
    cdr = parse_line(line.encode(), CSV21, UTC)
    assert (cdr.clid, cdr.lastdata, cdr.userfield) == (clid, lastdata, userfield)


_any_field = st.one_of(
    _text.map(asterisk_quote),
    _text.filter(lambda t: "," not in t and '"' not in t and "\n" not in t),
    st.sampled_from(['"0001-01-01 00:00:00"', '"9999-12-31 23:59:59"', "1e400", "nan", "-0", '"2024-10-27 01:30:00"']),
)


@settings(deadline=None)  # timing is for bench/, not tests (a shared machine)
@given(st.lists(_any_field, min_size=21, max_size=21), st.sampled_from([UTC, LONDON, ZoneInfo("Asia/Kolkata")]))
def test_any_fields_give_a_cdr_or_a_reason(values: list[str], zone) -> None:
    """Whatever a line holds, the parser answers a Cdr or a CdrValueError, never another exception."""
    try:
        parse_line(",".join(values).encode(), CSV21, zone)
    except CdrValueError as exc:
        assert str(exc).split(":")[0] in CSV21.columns + ("columns", "quoting", "line", "start/answer/end")


@settings(deadline=None)  # timing is for bench/, not tests (a shared machine)
@given(st.binary(max_size=300))
def test_any_bytes_give_a_cdr_or_a_reason(raw: bytes) -> None:
    try:
        parse_line(raw, CSV21, LONDON)
    except CdrValueError:
        pass


def test_unanswered_call_has_no_answer_time_and_no_answer_disposition() -> None:
    line = with_field(10, "", f14='"NO ANSWER"')
    cdr = parse_line(line.encode(), CSV21, UTC)
    assert cdr.answer is None and cdr.disposition == "NOANSWER"
    assert parse_line(with_field(10, '""').encode(), CSV21, UTC).answer is None  # cdr_custom's CSV_QUOTE("")
    assert parse_line(with_field(10, '"0000-00-00 00:00:00"').encode(), CSV21, UTC).answer is None  # SQL backends


@pytest.mark.parametrize(("written", "number"), [('"DOCUMENTATION"', 3), ('"BILLING"', 2), ('"OMIT"', 1), ("3", 3), ('"2"', 2), ('"default"', 0)])
def test_amaflags_as_names_or_numbers(written: str, number: int) -> None:
    assert parse_line(with_field(15, written).encode(), CSV21, UTC).amaflags == number


@pytest.mark.parametrize(
    ("index", "value", "reason"),
    [
        (9, '"2026-13-45 02:07:38"', "start: not a time: '2026-13-45 02:07:38'"),
        (9, '""', "start: empty"),
        (10, '"yesterday"', "answer: not a time: 'yesterday'"),
        (11, '"29/11/2026 02:07:44"', "end: not a time: '29/11/2026 02:07:44'"),
        (12, "six", "duration: not a number: 'six'"),
        (13, "-4", "billsec: not a count of seconds: '-4'"),
        (12, "", "duration: not a number: ''"),
        (14, '"MAYBE"', "disposition: unknown value 'MAYBE'"),
        (15, '"LOUD"', "amaflags: unknown value 'LOUD'"),
        (20, "4x", "sequence: not a whole number: '4x'"),
        (0, '"acme"x', "quoting: ',' expected after '\"'"),
        (0, '"ac\x00me"', "line: contains NUL bytes (a torn write?)"),
    ],
)
def test_bad_field_is_an_error_naming_it(index: int, value: str, reason: str) -> None:
    with pytest.raises(CdrValueError) as err:
        parse_line(with_field(index, value).encode(), CSV21, UTC)
    assert str(err.value) == reason


def test_wrong_column_count_names_layout() -> None:
    with pytest.raises(CdrValueError, match=r"^columns: 20 fields, but layout cdr_csv\+loguniqueid\+loguserfield\+newcdrcolumns has 21$"):
        parse_line(GOOD.rsplit(",", 1)[0].encode(), CSV21, UTC)


def test_non_utf8_caller_name_falls_back_to_latin1_per_line() -> None:
    latin1 = with_field(4, '"Jos\xe9 M\xfcller <07700900001>"').encode("latin-1")
    utf8 = with_field(4, '"Zoë Ørsted <07700900002>"').encode("utf-8")
    assert parse_line(latin1, CSV21, UTC).clid == "José Müller <07700900001>"
    assert parse_line(utf8, CSV21, UTC).clid == "Zoë Ørsted <07700900002>"
    stream = io.BytesIO(utf8 + b"\n" + latin1 + b"\n" + utf8 + b"\n")
    assert [p.result.clid for p in read_cdrs(stream, CSV21, UTC)] == [
        "Zoë Ørsted <07700900002>",
        "José Müller <07700900001>",
        "Zoë Ørsted <07700900002>",
    ]


def test_times_in_source_zone_become_utc() -> None:
    winter = parse_line(GOOD.encode(), CSV21, LONDON)  # November: GMT, same as UTC
    assert winter.start == utc(2026, 11, 29, 2, 7, 38)
    new_york = parse_line(GOOD.encode(), CSV21, ZoneInfo("America/New_York"))  # EST, -05:00
    assert (new_york.start, new_york.answer, new_york.end) == (
        utc(2026, 11, 29, 7, 7, 38),
        utc(2026, 11, 29, 7, 7, 40),
        utc(2026, 11, 29, 7, 7, 44),
    )
    assert new_york.start.tzinfo is UTC


def test_fractional_seconds_and_explicit_offsets() -> None:
    line = with_field(9, '"2026-11-29 02:07:38.250"', f11='"2026-11-29T03:07:44.5+01:00"')
    cdr = parse_line(line.encode(), CSV21, ZoneInfo("America/New_York"))
    assert cdr.start == utc(2026, 11, 29, 7, 7, 38, 250000)
    assert cdr.end == utc(2026, 11, 29, 2, 7, 44, 500000)  # an offset in the text wins over --source-tz


def test_high_resolution_durations_are_truncated_to_seconds() -> None:
    cdr = parse_line(with_field(12, '"6.999000"', f13='"4.250000"').encode(), CSV21, UTC)
    assert (cdr.duration, cdr.billsec) == (6, 4)


def _london_call(start: str, answer: str, end: str, duration: int, billsec: int) -> Cdr:
    line = with_field(9, f'"{start}"', f10=f'"{answer}"', f11=f'"{end}"', f12=str(duration), f13=str(billsec))
    return parse_line(line.encode(), CSV21, LONDON)


def test_repeated_hour_is_read_so_that_the_row_adds_up() -> None:
    """27 Oct 2024, London: 01:00-01:59 local happens twice (BST, then GMT)."""
    across = _london_call("2024-10-27 01:59:50", "2024-10-27 01:59:55", "2024-10-27 01:00:10", 20, 15)
    assert (across.start, across.answer, across.end) == (
        utc(2024, 10, 27, 0, 59, 50),  # 01:59:50 BST
        utc(2024, 10, 27, 0, 59, 55),
        utc(2024, 10, 27, 1, 0, 10),  # 01:00:10 GMT, after the clocks went back
    )
    after = _london_call("2024-10-27 00:59:50", "2024-10-27 01:00:00", "2024-10-27 01:00:10", 3620, 3610)
    assert after.end == utc(2024, 10, 27, 1, 0, 10)  # an hour and 20 s after 00:59:50 BST
    inside = _london_call("2024-10-27 01:10:00", "2024-10-27 01:10:05", "2024-10-27 01:11:00", 60, 55)
    assert inside.start == utc(2024, 10, 27, 0, 10, 0)  # cannot tell: the first (BST) instant


def test_time_the_clocks_skip_is_an_error() -> None:
    with pytest.raises(CdrValueError, match=r"^start: 2024-03-31 01:30:00 does not exist in Europe/London"):
        _london_call("2024-03-31 01:30:00", "2024-03-31 03:30:05", "2024-03-31 03:31:00", 60, 55)


def test_newline_in_quoted_field_is_one_record_at_its_first_line() -> None:
    multi = with_field(8, '"Playback,hello\nworld"')
    data = f"{GOOD}\n{multi}\n{GOOD}\n".encode()
    parsed = list(read_cdrs(io.BytesIO(data), CSV21, UTC))
    assert [p.line for p in parsed] == [1, 2, 4]
    assert parsed[1].result.lastdata == "Playback,hello\nworld"
    assert parsed[1].raw == multi.encode()
    assert [p.offset for p in parsed] == [0, len(GOOD) + 1, len(GOOD) + len(multi) + 2]
    assert parsed[-1].end == len(data)


def test_torn_line_costs_only_its_own_line() -> None:
    broken = GOOD[:40]  # Asterisk stopped writing inside the quoted caller name
    data = "\n".join([GOOD, broken, GOOD, GOOD, GOOD]).encode()
    parsed = list(read_cdrs(io.BytesIO(data), CSV21, UTC))
    assert [p.line for p in parsed] == [1, 2, 3, 4, 5]
    assert isinstance(parsed[1].result, CdrValueError)
    assert str(parsed[1].result).startswith("quoting: unterminated quoted field")
    assert parsed[1].raw == broken.encode()
    assert all(isinstance(p.result, Cdr) for p in parsed[2:])


def test_quote_closing_into_a_bad_record_rejects_the_first_line_alone() -> None:
    data = f'"acme","Playback\nfoo",1\n{GOOD}\n'.encode()
    parsed = list(read_cdrs(io.BytesIO(data), CSV21, UTC))
    assert [p.line for p in parsed] == [1, 2, 3]
    assert str(parsed[0].result) == (
        "quoting: unterminated quoted field (closing it on line 2 gives: "
        "columns: 3 fields, but layout cdr_csv+loguniqueid+loguserfield+newcdrcolumns has 21)"
    )
    assert parsed[0].raw == b'"acme","Playback'
    assert str(parsed[1].result).startswith("columns: 2 fields")
    assert isinstance(parsed[2].result, Cdr)


def test_unterminated_quote_at_end_of_file() -> None:
    parsed = list(read_cdrs(io.BytesIO(f'{GOOD}\n"acme","2'.encode()), CSV21, UTC))
    assert [p.line for p in parsed] == [1, 2]
    assert str(parsed[1].result) == "quoting: unterminated quoted field"


def test_crlf_and_blank_lines() -> None:
    data = f"{GOOD}\r\n\r\n{GOOD}\r\n".encode()
    parsed = list(read_cdrs(io.BytesIO(data), CSV21, UTC))
    assert [p.line for p in parsed] == [1, 3]
    assert all(isinstance(p.result, Cdr) for p in parsed)


def test_a_growing_file_leaves_an_unfinished_record_for_later() -> None:
    half = with_field(8, '"Playback,hello\n')
    data = f"{GOOD}\n{GOOD[:40]}".encode()
    parsed = list(read_cdrs(io.BytesIO(data), CSV21, UTC, final=False))
    assert [p.line for p in parsed] == [1]
    assert parsed[0].end == len(GOOD) + 1
    data = f"{GOOD}\n{half}".encode()
    assert [p.line for p in read_cdrs(io.BytesIO(data), CSV21, UTC, final=False)] == [1]
    # resuming where the last record ended, once the rest is written
    rest = f"{GOOD}\n".encode()
    stream = io.BytesIO(rest)
    resumed = list(read_cdrs(stream, CSV21, UTC, line=7, offset=1000, final=False))
    assert [(p.line, p.offset, p.end) for p in resumed] == [(7, 1000, 1000 + len(rest))]


def test_detect_layout_needs_a_known_layout() -> None:
    with pytest.raises(LayoutError, match="2 columns"):
        detect_layout([b"a,b", b"c,d"])
    with pytest.raises(LayoutError, match="no records"):
        detect_layout([])


def test_detect_layout_goes_with_most_records() -> None:
    line17 = ",".join(fields()[:17]).encode()
    userfield17 = ",".join(fields()[:16] + ['"call_rec=x.wav"']).encode()
    assert detect_layout([line17, line17]).name == "cdr_csv+loguniqueid"
    assert detect_layout([line17, userfield17, line17]).name == "cdr_csv+loguserfield"
    assert detect_layout([b"garbage", GOOD.encode(), GOOD.encode(), line17]).name == CSV21.name


def test_layout_from_spec() -> None:
    assert layout_from_spec("cdr_custom") is LAYOUTS["cdr_custom"]
    custom = layout_from_spec("calldate,src,-,dst,duration")
    assert custom.columns == ("start", "src", "", "dst", "duration")
    cdr = parse_line(b'"2026-11-29 02:07:38","201","ignored","202","6"', custom, UTC)
    assert (cdr.start, cdr.src, cdr.dst, cdr.duration) == (utc(2026, 11, 29, 2, 7, 38), "201", "202", 6)
    for bad, message in [("nosuch", "unknown layout"), ("start,colour", "colour"), ("src,dst", "no start"), ("start,src,src", "twice")]:
        with pytest.raises(ValueError, match=message):
            layout_from_spec(bad)
