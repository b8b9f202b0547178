"""An incalls/outcalls request body -> the report it asks for; every refusal names the key at fault."""

from __future__ import annotations

from typing import Any

from calldata.api.errors import bad_request
from calldata.api.scope import _flag, _integer, _kind, _show, checked_scope
from calldata.auth.permissions import COMPANY_ID
from calldata.reports.period import MAX_DAYS
from calldata.reports.request import ReportRequest

COMMON_KEYS = ("company", "year", "month", "day", "days")
SCOPE_KEYS = {
    "incalls": (*COMMON_KEYS, "extensions"),
    # keeviomerge is accepted and changes nothing yet (docs/api.md, Call reports)
    "outcalls": (*COMMON_KEYS, "deviceids", "keeviomerge", "recalc"),
}
DEFAULT_COMPANY = "default"


def report_request(body: dict[str, Any], kind: str) -> ReportRequest:
    """Check `type` and `scope` (reports.md, Request); the period and names are checked later
    against the calendar and the directory (calldata.reports.build)."""
    scope = checked_scope(body, None, SCOPE_KEYS[kind])
    day = _integer(scope, "day", 1, 31)
    days = _integer(scope, "days", 1, MAX_DAYS)
    if days is not None and day is None:
        raise bad_request("scope.days: needs scope.day (the first day of the period)")
    _flag(scope, "keeviomerge")
    return ReportRequest(
        companies=_companies(scope.get("company", DEFAULT_COMPANY)),
        year=_integer(scope, "year", 1970, 9998),
        month=_integer(scope, "month", 1, 12),
        day=day,
        days=1 if days is None else days,
        extensions=_names(scope, "extensions"),
        deviceids=_names(scope, "deviceids"),
        recalc=_flag(scope, "recalc"),
    )


def _companies(value: Any) -> tuple[str, ...]:
    """A company id, or an array of them (the original's own example sends an array)."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise bad_request("scope.company: an empty array names no company")
    for item in items:
        if not isinstance(item, str) or not COMPANY_ID.fullmatch(item):
            raise bad_request(f"scope.company: a company id (1-32 letters, digits or _) or an array of them, not {_show(item)}")
    return tuple(dict.fromkeys(items))


def _names(scope: dict[str, Any], key: str) -> tuple[str, ...]:
    """An array of extension numbers or device ids; numbers are taken as their text."""
    value = scope.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad_request(f"scope.{key}: must be an array, not {_kind(value)}")
    names = []
    for item in value:
        if isinstance(item, int) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not item.strip():
            raise bad_request(f"scope.{key}: every entry must be a non-empty string, not {_show(item)}")
        names.append(item.strip())
    return tuple(dict.fromkeys(names))
