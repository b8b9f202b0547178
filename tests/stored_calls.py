"""The stored legs grouped by call, and calls in the order the call lists show them: worked out
from the rows themselves, for the tests of the call browser and the console."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select

from calldata.store.schema import cdr


def legs_by_call(engine: Engine) -> dict[str, list[Any]]:
    """Call id -> its legs (rows), by acctid."""
    calls: dict[str, list[Any]] = defaultdict(list)
    with engine.connect() as conn:
        for row in conn.execute(select(cdr).where(cdr.c.call.is_not(None)).order_by(cdr.c.acctid)):
            calls[row.call].append(row)
    return calls


def newest_first(calls: dict[str, list[Any]], keep: Callable[[list[Any]], bool] = lambda _legs: True) -> list[str]:
    """The ids of the calls `keep` accepts, by their first leg's start, newest first (ties: the higher acctid first)."""
    chosen = [call for call in calls if keep(calls[call])]
    return sorted(chosen, key=lambda call: (calls[call][0].calldate, calls[call][0].acctid), reverse=True)
