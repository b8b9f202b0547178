"""Asterisk's CSV CDR files (cdr_csv and the stock cdr_custom Master.csv): parsing (layouts.py: their columns).

Pure functions, no store: `parse_line` turns one raw record into a `Cdr` (or raises
`CdrValueError` naming the field), `detect_layout` names a file's layout from its first
records, and `read_cdrs` walks a binary stream record by record, keeping each record's line
number and byte offsets so a caller can quarantine it or resume after it. The importer and the
live file follower both build on these.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from itertools import islice, product
from typing import BinaryIO, Generic, NamedTuple, TypeVar

from calldata.cdr import INT_MIN, Cdr, CdrValueError, in_store_range, normalise_amaflags, normalise_disposition
from calldata.ingest.layouts import LAYOUTS, Layout

# ---------------------------------------------------------------------------------------------
# One record


def decode(raw: bytes) -> str:
    """UTF-8, or Latin-1 when the bytes are not UTF-8 (lossless: every byte maps to a character).

    Asterisk writes caller names as the phone or trunk sent them; old phones send Latin-1.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class _Incomplete(CdrValueError):
    """The text ends inside a quoted field: the record may go on on the next line."""


class FieldSplitter:
    """The fields of one CSV record at a time (Asterisk's quoting: `"` around strings, `""` inside),
    on one csv reader kept for a whole stream: a reader made for every line was a sixth of parsing
    (bench/RESULTS.md). Each parse has its own; not for sharing between threads."""

    def __init__(self) -> None:
        self._text: list[str] = []  # what the reader reads next: the one record being split
        self._reader = csv.reader(self, strict=True)

    def __iter__(self) -> FieldSplitter:
        return self

    def __next__(self) -> str:
        if self._text:
            return self._text.pop()
        raise StopIteration  # the reader then fails a quoted field left open: "unexpected end of data"

    def __call__(self, text: str) -> list[str]:
        if "\x00" in text:
            raise CdrValueError("line: contains NUL bytes (a torn write?)")
        self._text.append(text)  # taken by the reader's first read: a record never ends without one
        try:
            return next(self._reader)
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise _Incomplete("quoting: unterminated quoted field") from None
            raise CdrValueError(f"quoting: {exc}") from None


def split_fields(text: str) -> list[str]:
    """The fields of one CSV record (`FieldSplitter`, for a single record)."""
    return FieldSplitter()(text)


_TIME_SHAPE = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d")


def _naive_or_aware(field: str, text: str, utc: bool = False) -> datetime | None:
    """`YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]` as written, read as UTC when `utc` and it gives no
    offset; "" (never answered) is None, and so is the zero date SQL backends write for it
    (`0000-00-00 00:00:00`)."""
    if not text or text.startswith("0000-00-00"):
        return None
    if not _TIME_SHAPE.match(text):
        raise CdrValueError(f"{field}: not a time: {text!r}")
    try:
        # parsed aware when it can be: a third of the time of a replace(tzinfo=UTC) afterwards
        return datetime.fromisoformat(text + "+00:00" if utc and len(text) == 19 else text)
    except ValueError:
        raise CdrValueError(f"{field}: not a time: {text!r}") from None


def _candidates(field: str, value: datetime, zone: tzinfo) -> tuple[datetime, ...]:
    """The UTC instants a wall-clock time can mean in `zone`: one, or two in a repeated hour."""
    if value.tzinfo is not None:
        return (value.astimezone(UTC),)
    first = value.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = value.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return (first,)
    if first.astimezone(zone).replace(tzinfo=None) != value:
        raise CdrValueError(f"{field}: {value} does not exist in {zone} (the clocks skip it): wrong --source-tz?")
    return (first, second)


def _localise(
    times: Sequence[tuple[str, datetime | None]], duration: int, billsec: int, zone: tzinfo
) -> list[datetime | None]:
    """start, answer, end as UTC; a time in a repeated (DST) hour is read so the row adds up.

    Of the instants an ambiguous time can mean, the combination where end - start is closest to
    `duration` and end - answer to `billsec` wins; a tie goes to the earlier instant.
    """
    if zone is UTC:
        return [v if v is None or v.tzinfo is UTC else v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
                for _, v in times]
    options = [((None,) if v is None else _candidates(f, v, zone)) for f, v in times]
    if all(len(o) == 1 for o in options):
        return [o[0] for o in options]

    def misfit(choice: tuple[datetime | None, ...]) -> float:
        start, answer, end = choice
        if start is None or end is None:
            return 0.0
        cost = abs((end - start).total_seconds() - duration)
        if answer is not None:
            cost += abs((end - answer).total_seconds() - billsec)
            cost += 86400.0 * (answer < start)
        return cost + 86400.0 * (end < start)

    return list(min(product(*options), key=misfit))  # min keeps the first (earliest) of equals


def _count(field: str, text: str) -> int:
    """Whole seconds; a high-resolution value (`CDR(duration,f)`) is truncated like Asterisk's."""
    try:
        value = int(text) if text.isascii() and text.isdigit() else int(float(text))
    except (ValueError, OverflowError):
        raise CdrValueError(f"{field}: not a number: {text!r}") from None
    if value < 0:
        raise CdrValueError(f"{field}: not a count of seconds: {text!r}")
    return in_store_range(field, value, text)


def _sequence(text: str) -> int | None:
    """Asterisk's CDR counter, a C `int` that wraps to negative numbers after 2**31 CDRs."""
    if text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise CdrValueError(f"sequence: not a whole number: {text!r}") from None
    return in_store_range("sequence", value, text, least=INT_MIN)


def cdr_from_fields(fields: Sequence[str], layout: Layout, zone: tzinfo) -> Cdr:
    """A `Cdr` from the fields of one record in `layout`, times read in `zone`."""
    if len(fields) != len(layout.columns):
        raise CdrValueError(
            f"columns: {len(fields)} fields, but layout {layout.name} has {len(layout.columns)}"
        )
    texts, at = _positions(layout.columns)
    values = {name: fields[i] for name, i in texts}
    duration = _count("duration", fields[at["duration"]] if "duration" in at else "0")
    billsec = _count("billsec", fields[at["billsec"]] if "billsec" in at else "0")
    utc = zone is UTC
    naive = [(f, _naive_or_aware(f, fields[at[f]] if f in at else "", utc)) for f in ("start", "answer", "end")]
    if naive[0][1] is None:
        raise CdrValueError("start: empty")
    try:
        start, answer, end = _localise(naive, duration, billsec, zone)
    except OverflowError:
        raise CdrValueError("start/answer/end: out of the range of dates") from None
    assert start is not None
    if "disposition" in values:
        values["disposition"] = normalise_disposition(values["disposition"])
    if "answer" not in at or "end" not in at:  # cdr_pgsql's table, a cdr_custom: from the counts
        counted_answer, counted_end = counted_times(start, duration, billsec, values.get("disposition", ""))
        answer = answer if "answer" in at else counted_answer
        end = end if "end" in at else counted_end
    if "amaflags" in values:
        values["amaflags"] = normalise_amaflags(values["amaflags"])
    sequence = _sequence(fields[at["sequence"]] if "sequence" in at else "")
    return Cdr(start=start, answer=answer, end=end, duration=duration, billsec=billsec, sequence=sequence, **values)


_READ_APART = frozenset(("start", "answer", "end", "duration", "billsec", "sequence"))


@lru_cache(maxsize=64)
def _positions(columns: tuple[str, ...]) -> tuple[tuple[tuple[str, int], ...], dict[str, int]]:
    """A layout's string fields (name, position), and where each named column is (worked out once per layout)."""
    at = {name: i for i, name in enumerate(columns) if name}
    return tuple((name, i) for name, i in at.items() if name not in _READ_APART), at


def counted_times(start: datetime, duration: int, billsec: int, disposition: str) -> tuple[datetime | None, datetime]:
    """Answer and end from the counts, for rows that keep only the start: end = start + duration,
    answer = end - billsec when the leg was answered (Asterisk's 1 s resolution, as the counts)."""
    end = start + timedelta(seconds=duration)
    answered = billsec > 0 or disposition == "ANSWERED"
    return (end - timedelta(seconds=billsec) if answered else None), end


def parse_line(raw: bytes, layout: Layout, zone: tzinfo) -> Cdr:
    """One raw record (without its line terminator) -> `Cdr`, or `CdrValueError` naming the field."""
    return cdr_from_fields(split_fields(decode(raw)), layout, zone)


# ---------------------------------------------------------------------------------------------
# Detecting a layout


class LayoutError(ValueError):
    """No known layout fits the file's first records."""


_UNIQUEID = re.compile(r"(?:.+-)?\d+\.\d+")  # [systemname-]epoch.counter


def _time_like(text: str) -> bool:
    return bool(_TIME_SHAPE.match(text))


def _number_like(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def layouts_fitting(fields: Sequence[str]) -> list[Layout]:
    """The known layouts one record fits, most likely first (empty: none fits)."""
    n = len(fields)
    if 16 <= n <= 21 and _time_like(fields[9]) and _time_like(fields[11]):  # cdr_csv: start, end
        uid = n in (17, 20) and bool(_UNIQUEID.fullmatch(fields[16]))
        return [
            layout
            for layout in LAYOUTS.values()
            if layout.name.startswith("cdr_csv")
            and len(layout.columns) == n
            and (uid or n not in (17, 20) or "uniqueid" not in layout.columns)
        ]
    if n in (18, 19) and _time_like(fields[8]) and _time_like(fields[10]) and _number_like(fields[11]):
        return [LAYOUTS["cdr_custom" if n == 19 else "cdr_custom-nosequence"]]
    return []


def detect_layout(records: Iterable[bytes]) -> Layout:
    """The layout most of the given records (a file's first ones) fit; `LayoutError` if none fits.

    Column count tells most layouts apart; cdr_custom puts start one column earlier than
    cdr_csv; with 17 or 20 columns, a uniqueid-looking extra column means loguniqueid.
    """
    votes: Counter[str] = Counter()
    counts: Counter[int] = Counter()
    for raw in records:
        try:
            fields = split_fields(decode(raw))
        except CdrValueError:
            continue
        counts[len(fields)] += 1
        votes.update(layout.name for layout in layouts_fitting(fields))
    if not votes:
        seen = ", ".join(f"{n} columns" for n, _ in counts.most_common(3)) or "no records"
        raise LayoutError(f"no known CSV CDR layout fits the first records ({seen}); force one with --layout")
    order = list(LAYOUTS)
    best = max(votes.items(), key=lambda item: (item[1], -order.index(item[0])))
    return LAYOUTS[best[0]]


# ---------------------------------------------------------------------------------------------
# Reading a stream

# A quoted field may hold newlines (lastdata); a record spanning more lines than this is taken
# for a stray quote, so one bad line never swallows the good ones after it.
MAX_RECORD_LINES = 50


R = TypeVar("R")


class Line(NamedTuple):
    """One physical line of a file: where it starts, its bytes, where the next starts, whether it ended."""

    offset: int
    body: bytes  # without "\n" / "\r\n"
    end: int  # offset just past the terminator
    terminated: bool


class Parsed(NamedTuple, Generic[R]):
    """One record of a file: where it starts (line, byte offset), where the next one starts
    (`end`), its raw bytes (physical lines joined by "\\n") and the record (a Cdr here, a queue
    event in queue_log) or the ValueError saying why it is bad."""

    line: int
    offset: int
    end: int
    raw: bytes
    result: R | ValueError


def physical_lines(stream: BinaryIO, offset: int) -> Iterator[Line]:
    """The stream's lines from its current position (which is `offset`), terminators stripped."""
    for chunk in stream:
        end = offset + len(chunk)
        terminated = chunk.endswith(b"\n")
        body = chunk[:-1] if terminated else chunk
        if body.endswith(b"\r"):
            body = body[:-1]
        yield Line(offset, body, end, terminated)
        offset = end


def raw_records(stream: BinaryIO, *, limit: int) -> Iterator[bytes]:
    """The first `limit` records' raw bytes (quoted newlines joined), for `detect_layout`."""
    for parsed in islice(_records(stream, None, UTC, 1, 0, final=True), limit):
        yield parsed.raw


def read_cdrs(
    stream: BinaryIO,
    layout: Layout,
    zone: tzinfo,
    *,
    line: int = 1,
    offset: int = 0,
    final: bool = True,
) -> Iterator[Parsed[Cdr]]:
    """Every record from the stream's current position (which is `line`, `offset`), parsed.

    Blank lines are skipped. With `final=False` (a file still being written) an unterminated
    last line, or a quoted field still open at the end, is left for the next read: resume at
    the last yielded record's `end`.
    """
    return _records(stream, layout, zone, line, offset, final=final)


def _records(
    stream: BinaryIO, layout: Layout | None, zone: tzinfo, line: int, offset: int, *, final: bool
) -> Iterator[Parsed[Cdr]]:
    source = physical_lines(stream, offset)
    split = FieldSplitter()
    pending: deque[Line] = deque()
    texts: deque[str] = deque()

    def have(n: int) -> bool:
        while len(pending) < n:
            nxt = next(source, None)
            if nxt is None:
                return False
            pending.append(nxt)
            texts.append(decode(nxt.body))
        return True

    def take(n: int, result: Cdr | CdrValueError) -> Parsed[Cdr]:
        nonlocal line
        lines = [pending.popleft() for _ in range(n)]
        for _ in range(n):
            texts.popleft()
        parsed = Parsed(line, lines[0].offset, lines[-1].end, b"\n".join(x.body for x in lines), result)
        line += n
        return parsed

    def build(fields: list[str]) -> Cdr | CdrValueError:
        if layout is None:
            return CdrValueError("layout: not parsed")
        try:
            return cdr_from_fields(fields, layout, zone)
        except CdrValueError as exc:
            return exc

    while True:
        if not pending:  # the common case, a line holding one whole record, read without the queues
            nxt = next(source, None)
            if nxt is None or (not final and not nxt.terminated):
                return  # the end, or a line Asterisk is still writing
            text = decode(nxt.body)
            if not text.strip():
                line += 1  # not a record: skipped, but counted as a line
                continue
            try:
                fields = split(text)
            except _Incomplete:
                pending.append(nxt)  # a quoted field goes on: read on below
                texts.append(text)
                continue
            except CdrValueError as exc:
                yield Parsed(line, nxt.offset, nxt.end, nxt.body, exc)
            else:
                yield Parsed(line, nxt.offset, nxt.end, nxt.body, build(fields))
            line += 1
            continue
        if not final and not pending[0].terminated:
            return  # Asterisk is still writing this line
        if not texts[0].strip():
            take(1, CdrValueError("blank"))  # not a record: skipped, but counted as a line
            continue
        try:
            fields = split(texts[0])
        except _Incomplete as exc:
            reason: CdrValueError = exc
        except CdrValueError as exc:
            yield take(1, exc)
            continue
        else:
            yield take(1, build(fields))
            continue
        # A quoted field is still open at the end of the line: the record may go on (a newline
        # in lastdata). It is taken only if it closes into a valid record within a few lines.
        record: Parsed[Cdr] | None = None
        n = 1
        while n < MAX_RECORD_LINES:
            n += 1
            if not have(n) or not pending[n - 1].terminated:
                if not final:
                    return  # the rest of the record may not be written yet
                if len(pending) < n:
                    break
            try:
                fields = split("\n".join(islice(texts, n)))
            except _Incomplete:
                continue
            except CdrValueError:
                break  # the quote closes, but into garbage: the first line was the bad one
            result = build(fields)
            if isinstance(result, Cdr) or layout is None:
                record = take(n, result)
            else:
                reason = CdrValueError(f"{reason} (closing it on line {line + n - 1} gives: {result})")
            break
        yield record if record is not None else take(1, CdrValueError(str(reason)))
