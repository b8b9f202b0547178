"""Hand-written rows for the rule tests: a leg builder and the properties decided for legs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from calldata.attribution.lookup import Lookup
from calldata.attribution.properties import PROPERTIES, decide
from calldata.cdr import Cdr

T0 = datetime(2026, 11, 29, 9, 0, 0, tzinfo=UTC)


def leg(start: int = 0, end: int | None = None, answer: int | None = None, **fields: object) -> Cdr:
    """A hand-written row; times in seconds after T0, end defaulting to the start."""
    return Cdr(
        start=T0 + timedelta(seconds=start),
        end=T0 + timedelta(seconds=start if end is None else end),
        answer=None if answer is None else T0 + timedelta(seconds=answer),
        disposition=str(fields.pop("disposition", "ANSWERED" if answer is not None else "NOANSWER")),
        **fields,  # type: ignore[arg-type]
    )


def properties(legs: list[Cdr], lookup: Lookup) -> list[dict[str, object]]:
    """Each leg's decided properties by name."""
    _calls, props = decide(legs, lookup)
    return [dict(zip(PROPERTIES, p)) for p in props]  # type: ignore[arg-type]
