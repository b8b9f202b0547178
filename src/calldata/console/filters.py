"""The call browser's query string -> a CallFilter, a cursor and a page size; every problem named.

Filters travel in the URL (GET), so a filtered view is a link that can be kept and shared.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from calldata.auth.permissions import COMPANY_ID
from calldata.calls.browse import DIRECTIONS, OUTCOME_CHOICES, CallFilter, Cursor

SIZES = (10, 25, 50, 100)
DEFAULT_SIZE = 50
FIELDS = ("from", "to", "company", "extension", "number", "direction", "outcome", "recorded", "order", "size")
_EXTENSION = re.compile(r"[0-9A-Za-z*#+_-]{1,32}")
_NUMBER = re.compile(r"[0-9*#+]{1,32}")
MAX_ACCTID = 2**63 - 1  # a BIGINT: a larger one would reach the database and fail there
_CURSOR = re.compile(r"(-?[0-9]{1,18})\.([0-9]{1,19})")


@dataclass(slots=True)
class Browse:
    """A parsed request of the browser: what to show and from where, and what was wrong in it."""

    filter: CallFilter
    cursor: Cursor | None
    backward: bool
    size: int
    form: dict[str, str]  # the fields as given (kept in the form and in paging links)
    problems: list[str] = field(default_factory=list)
    forbidden: bool = False  # a company the reader may not see was asked for

    def link(self, **cursor: str) -> str:
        """The query string of this view, paged from `cursor` (`after=` or `before=`)."""
        return "?" + urlencode({**{k: v for k, v in self.form.items() if v}, **cursor})


def show_cursor(cursor: Cursor) -> str:
    """A cursor as the URL carries it: microseconds since the epoch, a dot, the acctid."""
    micros = (cursor.calldate - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return f"{micros}.{cursor.acctid}"


def _cursor(text: str) -> Cursor | None:
    found = _CURSOR.fullmatch(text)
    if found is None:
        return None
    try:
        when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(found[1]))
    except OverflowError:
        return None
    acctid = int(found[2])
    return Cursor(when, acctid) if acctid <= MAX_ACCTID else None


def _day(text: str, name: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"{name}: not a date (YYYY-MM-DD): {text[:40]!r}")
        return None


def _choice(text: str, name: str, choices: Collection[str], problems: list[str]) -> str | None:
    if text and text not in choices:
        problems.append(f"{name}: one of {', '.join(choices)}, not {text[:40]!r}")
    return text if text in choices else None


def _matching(text: str, name: str, pattern: re.Pattern[str], what: str, problems: list[str]) -> str | None:
    if text and not pattern.fullmatch(text):
        problems.append(f"{name}: {what}, not {text[:40]!r}")
        return None
    return text or None


def parse(params: Mapping[str, str], zone: ZoneInfo, companies: Collection[str] | None) -> Browse:
    """The browser's request from its query parameters; `companies` the reader may see (None: all)."""
    form = {name: params.get(name, "").strip()[:200] for name in FIELDS}
    form["number"] = re.sub(r"[\s().-]", "", form["number"])
    problems: list[str] = []
    first, last = _day(form["from"], "from", problems), _day(form["to"], "to", problems)
    if first and last and last < first:
        problems.append(f"to: {last} is before from {first}")
    if last == date.max:  # the day after it is the filter's end
        problems.append(f"to: {last} is too far ahead")
        last = None
    company = _matching(form["company"], "company", COMPANY_ID, "a company id", problems)
    forbidden = company is not None and companies is not None and company not in companies
    if forbidden:
        problems.append(f"company: {company!r} is not one of the companies you may see")
    size_text = form["size"] or str(DEFAULT_SIZE)
    size = int(size_text) if size_text in {str(s) for s in SIZES} else DEFAULT_SIZE
    if size_text != str(size):
        problems.append(f"size: one of {', '.join(map(str, SIZES))}")
    order = _choice(form["order"], "order", ("newest", "oldest"), problems)
    filt = CallFilter(
        start=datetime.combine(first, time(), zone) if first else None,
        end=datetime.combine(last + timedelta(days=1), time(), zone) if last else None,
        company=company,
        extension=_matching(form["extension"], "extension", _EXTENSION, "an extension (digits, * or #)", problems),
        number=_matching(form["number"], "number", _NUMBER, "digits (and + * #)", problems),
        direction=_choice(form["direction"], "direction", DIRECTIONS, problems),
        outcome=_choice(form["outcome"], "outcome", OUTCOME_CHOICES, problems),
        recorded=form["recorded"] in ("1", "on", "yes"),
        newest_first=order != "oldest",
    )
    after, before = params.get("after", ""), params.get("before", "")
    cursor = _cursor(before or after) if before or after else None
    if (before or after) and cursor is None:
        problems.append("cursor: not one this page made; start again from the first page")
    return Browse(filt, cursor, bool(before) and cursor is not None, size, form, problems, forbidden)
