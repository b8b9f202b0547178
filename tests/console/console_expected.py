"""What the console should list, worked out straight from the stored legs (not through calls/browse.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from calldata.recordings.schema import recording
from calldata.store.schema import cdr


def seen_by(legs: list[Any], company: str) -> bool:
    return any(company in (leg.company, leg.target, leg.bill_to) for leg in legs)


def recorded_calls(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(cdr.c.call).join(recording, recording.c.acctid == cdr.c.acctid)).scalars())
