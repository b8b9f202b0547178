"""What the console should list, worked out straight from the stored legs (not through calls/browse.py)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Engine, select

from calldata.recordings.schema import recording
from calldata.store.schema import cdr


def legs_by_call(engine: Engine) -> dict[str, list[Any]]:
    """Call id -> its legs (rows), by acctid."""
    calls: dict[str, list[Any]] = defaultdict(list)
    with engine.connect() as conn:
        for row in conn.execute(select(cdr).where(cdr.c.call.is_not(None)).order_by(cdr.c.acctid)):
            calls[row.call].append(row)
    return calls


def newest_first(calls: dict[str, list[Any]]) -> list[str]:
    """Call ids by their first leg's start, newest first (ties: the higher acctid first)."""
    return sorted(calls, key=lambda call: (calls[call][0].calldate, calls[call][0].acctid), reverse=True)


def seen_by(legs: list[Any], company: str) -> bool:
    return any(company in (leg.company, leg.target, leg.bill_to) for leg in legs)


def recorded_calls(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(cdr.c.call).join(recording, recording.c.acctid == cdr.c.acctid)).scalars())
