"""A call-read request body -> the read it asks for; every refusal names the key at fault."""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from calldata.api.errors import ApiError, bad_request
from calldata.auth.permissions import COMPANY_ID

DEFAULT_MAX_ROWS = 500
SCOPE_KEYS = ("minID", "maxRows", "minDate", "maxDate", "queuedata", "cachedata")
TYPES = ("cdr",)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_EPOCH_MS = 253_402_300_799_999  # 9999-12-31 23:59:59.999 UTC
_MAX_ID = 2**63 - 1  # acctid is a BIGINT
_DIGITS = re.compile(r"[+-]?[0-9]+")
_LONGEST = 100  # characters of a numeric string; any longer is out of every range
MAX_DEPTH = 32  # a real body is two or three levels deep; far deeper is an attack, not a mistake
# Floats too large for a double decode as infinity (refused naming the field), not as a
# decode error that could only name the body.
_DECODER = msgspec.json.Decoder(float_hook=float)


@dataclass(frozen=True, slots=True)
class ReadQuery:
    """A validated call-read: what to fetch and what to echo."""

    min_id: int | None  # as asked (echoed; None when absent)
    max_rows: int  # as used: default or clamped to the cap
    min_date: datetime | None
    max_date: datetime | None
    cachedata: bool
    queuedata: bool


def parse_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object whatever the Content-Type says; an empty body is `{}`."""
    if not raw.strip():
        return {}
    try:
        body = _DECODER.decode(raw)
    except msgspec.DecodeError as exc:  # also a number too long for any field (ValidationError)
        raise bad_request(f"body: not valid JSON ({exc})") from None
    except UnicodeDecodeError:
        raise bad_request("body: not valid UTF-8") from None
    except RecursionError:
        raise bad_request(f"body: nested deeper than {MAX_DEPTH} levels") from None
    if not isinstance(body, dict):
        raise bad_request(f"body: must be a JSON object, not {_kind(body)}")
    _check_values(body)
    return body


def _check_values(body: dict[str, Any]) -> None:
    """Refuse what no field may hold, naming the field: a NUL character (PostgreSQL text cannot
    store one), a number beyond a double's range (1e400), nesting past MAX_DEPTH."""
    pending: list[tuple[str, Any, int]] = [("", body, 0)]
    while pending:
        path, value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise bad_request(f"body: nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            for key, member in value.items():
                inner = f"{path}.{key}" if path else key
                if "\x00" in key:
                    raise bad_request(f"{inner}: a key must not contain a NUL character")
                pending.append((inner, member, depth + 1))
        elif isinstance(value, list):
            pending.extend((f"{path}[{i}]", item, depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str) and "\x00" in value:
            raise bad_request(f"{path}: must not contain a NUL character")
        elif isinstance(value, float) and not math.isfinite(value):
            raise bad_request(f"{path}: number out of range")


def read_query(body: dict[str, Any], path_type: str | None, max_rows_cap: int) -> ReadQuery:
    """Check `type` and `scope` (call-read.md, Request) and say what to read."""
    scope = checked_scope(body, path_type, SCOPE_KEYS)
    min_id = _integer(scope, "minID", 0, _MAX_ID)
    max_rows = _integer(scope, "maxRows", 1, _MAX_ID)
    min_ms = _integer(scope, "minDate", 0, MAX_EPOCH_MS)
    max_ms = _integer(scope, "maxDate", 0, MAX_EPOCH_MS)
    if min_ms is not None and max_ms is not None and min_ms > max_ms:
        raise bad_request(f"scope.minDate: {min_ms} is after scope.maxDate {max_ms}")
    return ReadQuery(
        min_id=min_id,
        max_rows=DEFAULT_MAX_ROWS if max_rows is None else min(max_rows, max_rows_cap),
        min_date=None if min_ms is None else EPOCH + timedelta(milliseconds=min_ms),
        max_date=None if max_ms is None else EPOCH + timedelta(milliseconds=max_ms),
        cachedata=_flag(scope, "cachedata"),
        queuedata=_flag(scope, "queuedata"),
    )


def checked_scope(body: dict[str, Any], path_type: str | None, keys: tuple[str, ...]) -> dict[str, Any]:
    """The body's `scope` object after checking `type` (body and path) and refusing unknown keys."""
    for where, kind in (("type", body.get("type", "cdr")), ("path", path_type or "cdr")):
        if kind not in TYPES:
            raise bad_request(f"{where}: unsupported type {_show(kind)} (supported: {', '.join(TYPES)})")
    scope = body.get("scope")
    if scope is None:
        scope = {}
    if not isinstance(scope, dict):
        raise bad_request(f"scope: must be an object, not {_kind(scope)}")
    unknown = sorted(set(scope) - set(keys))
    if unknown:
        raise bad_request(f"scope.{unknown[0]}: unknown key (known: {', '.join(keys)})")
    return scope


def one_company(scope: dict[str, Any], allowed: Collection[str] | None) -> Collection[str] | None:
    """The companies to read: `allowed` (None: all), narrowed to `scope.company` when given (403
    when it is not one the caller may read)."""
    company = scope.get("company")
    if company is None:
        return allowed
    if not isinstance(company, str) or not COMPANY_ID.fullmatch(company):
        raise bad_request(f"scope.company: a company id (1-32 letters, digits or _), not {_show(company)}")
    if allowed is not None and company not in allowed:
        raise ApiError(403, f"permission: company {company!r} is not one this identity may read")
    return {company}


def _integer(scope: dict[str, Any], key: str, least: int, most: int) -> int | None:
    """`scope[key]` as a whole number in [least, most]; None when absent."""
    value = scope.get(key)
    return None if value is None else whole_number(value, f"scope.{key}", least, most)


def whole_number(value: Any, field: str, least: int, most: int) -> int:
    """A JSON number or numeric string holding a whole number in [least, most]; else a 400
    naming `field`."""
    number: int | None = None
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        if len(value.strip()) > _LONGEST:  # int() of thousands of digits is slow, then refused
            raise bad_request(f"{field}: out of range, got {_show(value)} (at most {most})")
        number = int(value.strip())
    if number is None:
        raise bad_request(f"{field}: must be an integer (a number or a numeric string), not {_show(value)}")
    if number < 0:
        raise bad_request(f"{field}: must not be negative, got {_show(number)}")
    if number < least:
        raise bad_request(f"{field}: must be at least {least}, got {number}")
    if number > most:
        raise bad_request(f"{field}: out of range, got {_show(number)} (at most {most})")
    return number


def _flag(scope: dict[str, Any], key: str) -> bool:
    value = scope.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad_request(f"scope.{key}: must be true or false, not {_show(value)}")
    return value


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _show(value: Any) -> str:
    """A short JSON rendering of a client's value for a message."""
    text = msgspec.json.encode(value).decode()
    return text if len(text) <= 40 else text[:37] + "..."
