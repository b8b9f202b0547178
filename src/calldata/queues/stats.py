"""Queue statistics (pure): stays in, figures per queue and per member out (docs/queues.md).

This is THE definition of the figures. The API counts them from the stays kept in the store
(calldata.queues.figures: on PostgreSQL a GROUP BY of the same rules, on SQLite this module over
the kept rows); tests/queues holds that equal to this module over the stored events. Both give
their tallies to `shaped`, so the answer's form is written once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from calldata.queues.stays import ABANDON, ANSWERED, OUTCOMES, Stay

DEFAULT_SERVICE_LEVEL = 20  # seconds: answered within this counts towards the service level


P90 = 0.9  # the rank of p90: ceil(P90 * count), as PostgreSQL's percentile_disc(0.9) takes it


def spread_of(count: int, total: int, p90: int, most: int) -> dict[str, Any] | None:
    """avg (to 0.1 s) from the count and the sum, p90 and max as given; None when there is none."""
    if not count:
        return None
    return {"avg": round(total / count, 1), "p90": p90, "max": most}


def spread(values: Sequence[int]) -> dict[str, Any] | None:
    """avg (to 0.1 s), p90 (nearest rank: a wait some caller really had) and max; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return spread_of(len(ordered), sum(ordered), ordered[math.ceil(P90 * len(ordered)) - 1], ordered[-1])


def agent_entry() -> dict[str, int]:
    """A member's figures before anything is counted."""
    return {"answered": 0, "ringNoAnswer": 0, "busy": 0, "talk": 0}


def _agents(stays: Iterable[Stay]) -> dict[str, dict[str, int]]:
    """Per member named: calls answered, rung unanswered (RINGNOANSWER > 0 ms), busy (RINGNOANSWER
    0 ms: Asterisk's word for a member whose phone refused) and seconds talked."""
    agents: dict[str, dict[str, int]] = {}

    def of(name: str) -> dict[str, int]:
        return agents.setdefault(name, agent_entry())

    for stay in stays:
        for agent, (unanswered, busy) in stay.rung.items():
            entry = of(agent)
            entry["ringNoAnswer"] += unanswered
            entry["busy"] += busy
        if stay.outcome == ANSWERED:
            entry = of(stay.agent)
            entry["answered"] += 1
            entry["talk"] += stay.talk or 0
    return agents


def shaped(counts: Mapping[str, int], transferred: int, waits: Mapping[str, dict[str, Any] | None], within: int,
           service_level: int, agents: Mapping[str, dict[str, int]]) -> dict[str, Any]:
    """One queue's figures as answered: `counts` of stays by outcome (every one of OUTCOMES),
    `waits` the spreads of `answered`, `abandoned` and `all`, `within` the answered within
    `service_level`, members by name."""
    offered = sum(counts[outcome] for outcome in OUTCOMES)
    return {
        "offered": offered,
        "answered": counts[ANSWERED],
        "abandoned": counts["abandon"],
        "timeout": counts["timeout"],
        "exitempty": counts["exitempty"],
        "exitkey": counts["exitkey"],
        "waiting": counts["waiting"],
        "transferred": transferred,
        "wait": {"answered": waits["answered"], "abandoned": waits["abandoned"], "all": waits["all"]},
        "serviceLevel": {"seconds": service_level, "answered": within,
                         "ratio": round(within / offered, 4) if offered else None},
        "agents": dict(sorted(agents.items())),
    }


def queue_figures(stays: Sequence[Stay], service_level: int = DEFAULT_SERVICE_LEVEL) -> dict[str, Any]:
    """The figures of one queue's stays (every stay counted once, by its outcome)."""
    counts = {outcome: 0 for outcome in OUTCOMES}
    for stay in stays:
        counts[stay.outcome] += 1
    answered_waits = [s.wait for s in stays if s.outcome == ANSWERED and s.wait is not None]
    abandon_waits = [s.wait for s in stays if s.outcome == ABANDON and s.wait is not None]
    all_waits = [s.wait for s in stays if s.wait is not None]
    within = sum(1 for wait in answered_waits if wait <= service_level)
    waits = {"answered": spread(answered_waits), "abandoned": spread(abandon_waits), "all": spread(all_waits)}
    return shaped(counts, sum(1 for s in stays if s.transferred), waits, within, service_level, _agents(stays))


def figures(stays: Iterable[Stay], service_level: int = DEFAULT_SERVICE_LEVEL,
            queues: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """Queue name -> its figures, by name; queues named in `queues` are there even when quiet."""
    by_queue: dict[str, list[Stay]] = {name: [] for name in queues}
    for stay in stays:
        by_queue.setdefault(stay.queue, []).append(stay)
    return {name: queue_figures(by_queue[name], service_level) for name in sorted(by_queue)}

