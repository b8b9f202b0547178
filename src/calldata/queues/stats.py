"""Queue statistics (pure): stays in, figures per queue and per member out (docs/queues.md)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from calldata.queues.stays import ANSWERED, OUTCOMES, Stay

DEFAULT_SERVICE_LEVEL = 20  # seconds: answered within this counts towards the service level


def spread(values: Sequence[int]) -> dict[str, Any] | None:
    """avg (to 0.1 s), p90 (nearest rank: a wait some caller really had) and max; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]
    return {"avg": round(sum(ordered) / len(ordered), 1), "p90": p90, "max": ordered[-1]}


def _agents(stays: Iterable[Stay]) -> dict[str, dict[str, int]]:
    """Per member named: calls answered, rung unanswered (RINGNOANSWER > 0 ms), busy (RINGNOANSWER
    0 ms: Asterisk's word for a member whose phone refused) and seconds talked."""
    agents: dict[str, dict[str, int]] = {}

    def of(name: str) -> dict[str, int]:
        return agents.setdefault(name, {"answered": 0, "ringNoAnswer": 0, "busy": 0, "talk": 0})

    for stay in stays:
        for ring in stay.rings:
            entry = of(ring.agent)
            if ring.event == "RINGNOANSWER":
                entry["ringNoAnswer" if ring.ms > 0 else "busy"] += 1
        if stay.outcome == ANSWERED:
            entry = of(stay.agent)
            entry["answered"] += 1
            entry["talk"] += stay.talk or 0
    return dict(sorted(agents.items()))


def queue_figures(stays: Sequence[Stay], service_level: int = DEFAULT_SERVICE_LEVEL) -> dict[str, Any]:
    """The figures of one queue's stays (every stay counted once, by its outcome)."""
    counts = {outcome: 0 for outcome in OUTCOMES}
    for stay in stays:
        counts[stay.outcome] += 1
    answered_waits = [s.wait for s in stays if s.outcome == ANSWERED and s.wait is not None]
    abandon_waits = [s.wait for s in stays if s.outcome == "abandon" and s.wait is not None]
    all_waits = [s.wait for s in stays if s.wait is not None]
    within = sum(1 for wait in answered_waits if wait <= service_level)
    return {
        "offered": len(stays),
        "answered": counts[ANSWERED],
        "abandoned": counts["abandon"],
        "timeout": counts["timeout"],
        "exitempty": counts["exitempty"],
        "exitkey": counts["exitkey"],
        "waiting": counts["waiting"],
        "transferred": sum(1 for s in stays if s.transferred),
        "wait": {"answered": spread(answered_waits), "abandoned": spread(abandon_waits), "all": spread(all_waits)},
        "serviceLevel": {"seconds": service_level, "answered": within,
                         "ratio": round(within / len(stays), 4) if stays else None},
        "agents": _agents(stays),
    }


def figures(stays: Iterable[Stay], service_level: int = DEFAULT_SERVICE_LEVEL,
            queues: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """Queue name -> its figures, by name; queues named in `queues` are there even when quiet."""
    by_queue: dict[str, list[Stay]] = {name: [] for name in queues}
    for stay in stays:
        by_queue.setdefault(stay.queue, []).append(stay)
    return {name: queue_figures(by_queue[name], service_level) for name in sorted(by_queue)}

