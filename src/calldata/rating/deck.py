"""A rate deck as carriers publish it: CSV rows of prefix, destination, rate per minute and charges.

Parsing is all or nothing: a deck with one bad row would misprice calls, so every problem is
collected and reported as `file:line: problem`, and nothing is loaded until there are none.
Columns are found by name (first row), in any order, with the common aliases below.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from calldata.rating.bands import BANDS

COLUMNS: dict[str, tuple[str, ...]] = {  # our name -> the header names accepted for it
    "prefix": ("prefix", "code", "dialcode", "dial_code"),
    "destination": ("destination", "description", "name"),
    "kind": ("kind", "type", "category"),
    "rate": ("rate", "rate_per_minute", "per_minute", "price"),
    "connection": ("connection", "connection_charge", "setup", "setup_fee"),
    "minimum": ("minimum", "min_seconds", "initial"),
    "increment": ("increment", "increment_seconds"),
    "increments": ("increments", "billing", "billing_increment"),  # "60/60" in one column
    "valid_from": ("valid_from", "effective", "effective_date", "valid"),
    "band": ("band", "time_band", "period"),
}
REQUIRED = ("prefix", "destination", "rate")
_INCREMENTS = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_MAX_SECONDS = 3600


class DeckRow(NamedTuple):
    """One priced prefix; `band` "" applies at any time, `valid_from` None since always."""

    line: int
    prefix: str
    destination: str
    kind: str
    rate: Decimal
    connection: Decimal
    minimum: int
    increment: int
    valid_from: date | None
    band: str


class DeckError(ValueError):
    """Every problem of a deck file, each as `file:line: problem`."""

    def __init__(self, source: str, problems: list[tuple[int, str]]) -> None:
        self.source = source
        self.problems = sorted(problems)
        super().__init__("\n".join(f"{source}:{line}: {text}" for line, text in self.problems))


def parse_increments(text: str) -> tuple[int, int]:
    """`"60/60"` -> (60, 60): minimum seconds, then increment seconds (>= 1, at most an hour)."""
    match = _INCREMENTS.match(text)
    if not match:
        raise ValueError(f"increments: expected MINIMUM/INCREMENT seconds such as 60/60, got {text!r}")
    minimum, increment = int(match[1]), int(match[2])
    if increment < 1 or minimum > _MAX_SECONDS or increment > _MAX_SECONDS:
        raise ValueError(f"increments: the increment must be 1-{_MAX_SECONDS} s and the minimum at most {_MAX_SECONDS} s, got {text!r}")
    return minimum, increment


def _header(names: list[str]) -> tuple[dict[str, int], list[str]]:
    """Our column -> its index in the file; and the problems with the header."""
    found: dict[str, int] = {}
    wanted = {alias: ours for ours, aliases in COLUMNS.items() for alias in aliases}
    for index, name in enumerate(names):
        ours = wanted.get(name.strip().lower().replace(" ", "_").replace("-", "_"))
        if ours is not None and ours not in found:
            found[ours] = index
    problems = [f"no {name!r} column (the first row names the columns: {', '.join(REQUIRED)} are needed)"
                for name in REQUIRED if name not in found]
    return found, problems


def _money(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{what}: not a decimal number: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{what}: must be a number of 0 or more, got {text!r}")
    return value


def _row(line: int, fields: list[str], at: dict[str, int], billing: tuple[int, int]) -> DeckRow:
    """One data row; ValueError naming the column on any problem."""
    def field(name: str) -> str:
        index = at.get(name)
        return fields[index].strip() if index is not None and index < len(fields) else ""

    prefix = field("prefix").removeprefix("+")
    if not prefix.isdigit() or not prefix.isascii():
        raise ValueError(f"prefix: digits of the international number expected, got {field('prefix')!r}")
    destination = field("destination")
    if not destination:
        raise ValueError("destination: empty")
    minimum, increment = billing
    if field("increments"):
        minimum, increment = parse_increments(field("increments"))
    if field("minimum") or field("increment"):
        minimum, increment = parse_increments(f"{field('minimum') or minimum}/{field('increment') or increment}")
    valid_from = None
    if field("valid_from"):
        try:
            valid_from = date.fromisoformat(field("valid_from"))
        except ValueError:
            raise ValueError(f"valid_from: a date YYYY-MM-DD expected, got {field('valid_from')!r}") from None
    band = field("band").lower()
    if band not in ("", *BANDS):
        raise ValueError(f"band: one of {', '.join(BANDS)} (or empty for any time), got {field('band')!r}")
    return DeckRow(line, prefix, destination, field("kind"), _money(field("rate"), "rate"),
                   _money(field("connection") or "0", "connection"), minimum, increment, valid_from, band)


def read_deck(text: str, source: str, billing: tuple[int, int] = (1, 1)) -> list[DeckRow]:
    """The rows of a deck file's text; `billing` is the minimum/increment of rows that name none.

    Raises DeckError listing every bad row, a missing column and any prefix given twice for the
    same band and date.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    problems: list[tuple[int, str]] = []
    rows: list[DeckRow] = []
    header = next(reader, None)
    if header is None:
        raise DeckError(source, [(1, "empty file: a header row and one row per prefix expected")])
    at, missing = _header(header)
    if missing:
        raise DeckError(source, [(1, text) for text in missing])
    seen: dict[tuple[str, str, date | None], int] = {}
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        try:
            row = _row(line, fields, at, billing)
        except ValueError as exc:
            problems.append((line, str(exc)))
            continue
        key = (row.prefix, row.band, row.valid_from)
        if key in seen:
            problems.append((line, f"prefix {row.prefix} is already priced on line {seen[key]} for the same band and date"))
            continue
        seen[key] = line
        rows.append(row)
    if not rows and not problems:
        problems.append((1, "no rows: one row per prefix expected after the header"))
    if problems:
        raise DeckError(source, problems)
    return rows
