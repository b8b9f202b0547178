"""Queue figures of the second run's stories, counted by hand from their queue_log files.

27: Nina enters acme-support at 15:15:58; Bob rings 8 s unanswered (RINGNOANSWER|8000), Carol
rings 4.2 s and is cancelled (RINGCANCELED), Nina hangs up after 14 s (ABANDON|1|1|14).
29: Petra enters at 15:16:49; Bob, Carol, Bob each ring 8 s unanswered; after 30 s the queue
times out (EXITWITHTIMEOUT|1|1|30) and the dialplan sends her to Alice (no queue_log line).
33: Rosa, blind-transferred by Alice, enters at 15:19:19; Bob is busy (RINGNOANSWER|0), Carol
answers after 3 s (CONNECT|3|...|3) and talks 8 s (COMPLETEAGENT|3|8|1).
"""

from __future__ import annotations

from typing import Any

QUIET_AGENT = {"answered": 0, "ringNoAnswer": 0, "busy": 0, "talk": 0}


def figures(*, offered: int, answered: int = 0, abandoned: int = 0, timeout: int = 0, waits: dict[str, Any],
            within: int = 0, agents: dict[str, dict[str, int]]) -> dict[str, Any]:
    """One queue's figures as the API writes them (every count not named is 0)."""
    return {
        "offered": offered, "answered": answered, "abandoned": abandoned, "timeout": timeout,
        "exitempty": 0, "exitkey": 0, "waiting": 0, "transferred": 0, "wait": waits,
        "serviceLevel": {"seconds": 20, "answered": within, "ratio": round(within / offered, 4)},
        "agents": {name: {**QUIET_AGENT, **counts} for name, counts in agents.items()},
    }


STORY_27 = figures(
    offered=1, abandoned=1,
    waits={"answered": None, "abandoned": {"avg": 14.0, "p90": 14, "max": 14}, "all": {"avg": 14.0, "p90": 14, "max": 14}},
    agents={"Bob": {"ringNoAnswer": 1}, "Carol": {}},  # Carol's ring was cancelled: not a ring-no-answer
)
STORY_29 = figures(
    offered=1, timeout=1,
    waits={"answered": None, "abandoned": None, "all": {"avg": 30.0, "p90": 30, "max": 30}},
    agents={"Bob": {"ringNoAnswer": 2}, "Carol": {"ringNoAnswer": 1}},
)
STORY_33 = figures(
    offered=1, answered=1, within=1,
    waits={"answered": {"avg": 3.0, "p90": 3, "max": 3}, "abandoned": None, "all": {"avg": 3.0, "p90": 3, "max": 3}},
    agents={"Bob": {"busy": 1}, "Carol": {"answered": 1, "talk": 8}},
)
# all three: waits 14 (abandoned), 30 (timeout), 3 (answered); 1 of 3 answered within 20 s
ALL = figures(
    offered=3, answered=1, abandoned=1, timeout=1, within=1,
    waits={"answered": {"avg": 3.0, "p90": 3, "max": 3}, "abandoned": {"avg": 14.0, "p90": 14, "max": 14},
           "all": {"avg": 15.7, "p90": 30, "max": 30}},
    agents={"Bob": {"ringNoAnswer": 3, "busy": 1}, "Carol": {"ringNoAnswer": 1, "answered": 1, "talk": 8}},
)
STORIES = {
    "27-inbound-ivr-queue-270-abandon": STORY_27,
    "29-inbound-ivr-queue-270-timeout-overflow-201": STORY_29,
    "33-inbound-201-blind-transfer-to-queue-270": STORY_33,
}
