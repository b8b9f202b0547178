"""`POST /rest/attribution/report`: the attribution coverage report as JSON (System-Admin only).

Body (every key optional): `since`, `until` (epoch milliseconds, as in call-read's minDate and
maxDate, or an ISO date / date-time in UTC), `top` (how many channels, contexts, numbers to list).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from calldata.api.call_read import Endpoint, request_body
from calldata.api.errors import bad_request
from calldata.api.scope import EPOCH, MAX_EPOCH_MS, whole_number
from calldata.coverage.report import coverage
from calldata.store.engine import in_transaction

KEYS = frozenset({"since", "until", "top", "auth"})


def _when(body: dict[str, Any], key: str) -> datetime | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, str) and not (value.isascii() and value.strip().isdigit()):
        try:
            when = datetime.fromisoformat(value)
            return (when if when.tzinfo is not None else when.replace(tzinfo=UTC)).astimezone(UTC)
        except (ValueError, OverflowError):  # OverflowError: an offset taking it past year 1 or 9999
            raise bad_request(f"{key}: expected epoch milliseconds or an ISO date, got {value!r}") from None
    return EPOCH + timedelta(milliseconds=whole_number(value, key, 0, MAX_EPOCH_MS))


def endpoint(engine: AsyncEngine) -> Endpoint:
    async def attribution_report(request: Request) -> Response:
        """How many rows of a date range lack each property, and what the directory misses.
        ---
        summary: Attribution coverage report (System-Admin)
        description: Rows lacking each property, and the most frequent unresolved channels,
          contexts and numbers, for calldate in [since, until).
        requestBody:
          content:
            application/json:
              schema:
                type: object
                additionalProperties: false
                properties:
                  since:
                    description: epoch milliseconds (up to 9999-12-31), or an ISO date (UTC)
                    oneOf: [{type: integer, minimum: 0, maximum: 253402300799999}, {type: string}]
                  until:
                    description: epoch milliseconds (up to 9999-12-31), or an ISO date (UTC), exclusive
                    oneOf: [{type: integer, minimum: 0, maximum: 253402300799999}, {type: string}]
                  top:
                    oneOf: [{type: integer, minimum: 1, maximum: 1000}, {type: string, pattern: "^[0-9]+$"}]
                    default: 10
                  auth: {type: object}
        responses:
          "200":
            description: The report.
            content:
              application/json:
                schema:
                  type: object
                  required: [result, report]
                  properties:
                    result: {type: string, enum: [success]}
                    report:
                      type: object
                      required: [since, until, directory_version, rows, unattributed, company_or_target,
                                 missing, channels, contexts, numbers]
                      properties:
                        since: {type: string, nullable: true, description: ISO date-time (UTC)}
                        until: {type: string, nullable: true, description: ISO date-time (UTC)}
                        directory_version: {type: integer, nullable: true}
                        rows: {type: integer}
                        unattributed: {type: integer}
                        company_or_target: {type: integer}
                        missing: {type: object, additionalProperties: {type: integer}}
                        channels: {$ref: "#/components/schemas/Counts"}
                        contexts: {$ref: "#/components/schemas/Counts"}
                        numbers: {$ref: "#/components/schemas/Counts"}
          "400": {$ref: "#/components/responses/Fail"}
          "401": {$ref: "#/components/responses/Fail"}
          "403": {$ref: "#/components/responses/Fail"}
          "429": {$ref: "#/components/responses/TooManyRequests"}
          "500": {$ref: "#/components/responses/Fail"}
        """
        body = await request_body(request)
        unknown = sorted(set(body) - KEYS)
        if unknown:
            raise bad_request(f"{unknown[0]}: unknown key (expected since, until, top)")
        since, until = _when(body, "since"), _when(body, "until")
        top = 10 if body.get("top") is None else whole_number(body["top"], "top", 1, 1000)
        if since is not None and until is not None and since > until:
            raise bad_request("since: later than until")
        # on the primary: whole UTC days from the stored tallies, built when missing
        report = await in_transaction(engine, lambda sync: coverage(sync, since, until, top))
        return Response(msgspec.json.encode({"result": "success", "report": report}), media_type="application/json")

    return attribution_report
