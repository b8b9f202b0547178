"""Helpers of the API tests: an in-process client on an app, and CDR rows in the store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, text
from starlette.applications import Starlette

from calldata.auth import keys, users
from calldata.auth.permissions import BILLING_CALL_SUMMARY
from calldata.cdr import Cdr
from calldata.store.cdrs import insert_cdrs

T0 = datetime(2016, 3, 22, 10, 52, 41, tzinfo=UTC)


@asynccontextmanager
async def serving(app: Starlette, key: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the app in this process (sending `key` as its API key), lifespan running."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {"authorization": f"Bearer {key}"} if key else {}
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers) as client:
            yield client


def issue_key(
    engine: Engine, login: str = "billing", companies: Sequence[str] = (), permission: str = BILLING_CALL_SUMMARY
) -> str:
    """An API key of a new user holding `permission` system-wide, or for `companies` only."""
    with engine.begin() as conn:
        user_id = users.add_user(conn, login, "not used by these tests", profile="CHEAPEST", actor="test")
        users.grant(conn, login, permission, list(companies), actor="test")
        _key_id, key = keys.create(conn, user_id, pepper="", actor="test")
    return key


Connect = Callable[..., Any]


def cdr(i: int, **fields: Any) -> Cdr:
    """A plausible leg number `i`, one minute after the previous one."""
    values: dict[str, Any] = {
        "start": T0 + timedelta(minutes=i),
        "answer": T0 + timedelta(minutes=i, seconds=5),
        "end": T0 + timedelta(minutes=i, seconds=50),
        "clid": f'"Desk {i}" <0190827{i:04d}>',
        "src": f"0190827{i:04d}",
        "dst": str(200 + i % 50),
        "dcontext": "acme",
        "channel": f"PJSIP/acme-{200 + i % 7}-{i:08x}",
        "dstchannel": f"PJSIP/acme-{200 + i % 50}-{i + 1:08x}",
        "lastapp": "Dial",
        "lastdata": f"PJSIP/acme-{200 + i % 50},30",
        "duration": 50,
        "billsec": 45,
        "disposition": "ANSWERED",
        "amaflags": 3,
        "accountcode": "acme",
        "uniqueid": f"1458643961.{i}",
        "linkedid": f"1458643961.{i - i % 3}",
        "sequence": i,
    }
    values.update(fields)
    return Cdr(**values)


def store_rows(engine: Engine, records: Sequence[Cdr]) -> list[int]:
    """Insert the records; their acctids, ascending."""
    with engine.begin() as conn:
        return insert_cdrs(conn, records)


def set_columns(engine: Engine, acctid: int, **values: Any) -> None:
    """What attribution would have written on a row (plain UPDATE of its property columns)."""
    assignments = ", ".join(f'"{name}" = :{name}' for name in values)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE cdr SET {assignments} WHERE acctid = :acctid"), {**values, "acctid": acctid})
