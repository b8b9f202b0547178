"""Queue figures of generated queue_logs: every stay counted once by its outcome, waits and the
service level from the logged fields, members' counts adding up (calldata.queues.stats)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from calldata.queues.event import numbered, parse_line
from calldata.queues.stats import figures
from calldata.queues.stays import lines, stays

AGENTS = ("Bob", "Carol", "Dave")
ENDS = ("COMPLETEAGENT", "COMPLETECALLER", "BLINDTRANSFER", "ATTENDEDTRANSFER BRIDGE", "ATTENDEDTRANSFER LINK", "")
LEFT = {"abandon": "ABANDON|1|1|{w}", "timeout": "EXITWITHTIMEOUT|1|1|{w}", "exitempty": "EXITEMPTY|1|1|{w}",
        "exitkey": "EXITWITHKEY|5|1|1|{w}"}


@dataclass
class Drawn:
    """One caller's stay as generated, and the queue_log lines Asterisk would write for it."""

    outcome: str
    wait: int | None
    agent: str = ""
    talk: int | None = None
    transferred: bool = False
    rings: list[tuple[str, str, int]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


@st.composite
def drawn_stay(draw: st.DrawFn, number: int) -> Drawn:
    callid, at = f"1795965000.{number}", 1795965000 + 100 * number
    outcome = draw(st.sampled_from(["answered", *LEFT, "waiting"]))
    rings = draw(st.lists(st.tuples(st.sampled_from(AGENTS), st.sampled_from(["RINGNOANSWER", "RINGCANCELED"]),
                                    st.sampled_from([0, 1, 4245, 8000, 15000])), max_size=4))
    wait = None if outcome == "waiting" else draw(st.integers(0, 90))
    stay = Drawn(outcome, wait, rings=rings)
    stay.lines.append(f"{at}|{callid}|q|NONE|ENTERQUEUE||07700900011|1")
    stay.lines += [f"{at}|{callid}|q|{agent}|{event}|{ms}" for agent, event, ms in rings]
    if outcome in LEFT:
        stay.lines.append(f"{at + wait}|{callid}|q|NONE|" + LEFT[outcome].format(w=wait))
    elif outcome == "answered":
        stay.agent, end = draw(st.sampled_from(AGENTS)), draw(st.sampled_from(ENDS))
        stay.lines.append(f"{at + wait}|{callid}|q|{stay.agent}|CONNECT|{wait}|1795965999.{number}|2")
        if end:
            stay.talk, stay.transferred = draw(st.integers(0, 600)), "TRANSFER" in end
            fields = {"COMPLETEAGENT": "COMPLETEAGENT", "COMPLETECALLER": "COMPLETECALLER",
                      "BLINDTRANSFER": "BLINDTRANSFER|201|acme", "ATTENDEDTRANSFER BRIDGE": "ATTENDEDTRANSFER|BRIDGE|b1",
                      "ATTENDEDTRANSFER LINK": "ATTENDEDTRANSFER|LINK|Local/a;1|Local/a;2"}[end]
            stay.lines.append(f"{at + wait + stay.talk}|{callid}|q|{stay.agent}|{fields}|{wait}|{stay.talk}|1")
    return stay


@st.composite
def drawn_log(draw: st.DrawFn) -> list[Drawn]:
    return [draw(drawn_stay(number)) for number in range(draw(st.integers(0, 12)))]


@settings(max_examples=300, deadline=None)
@given(drawn_log(), st.integers(0, 60))
def test_every_stay_counts_once_and_the_figures_add_up(log: list[Drawn], level: int) -> None:
    events = numbered(parse_line(line) for stay in log for line in stay.lines)
    found = figures(stays(lines(events)), level)
    if not log:
        assert found == {}
        return
    queue = found["q"]
    outcomes = [stay.outcome for stay in log]
    assert queue["offered"] == len(log) == sum(queue[k] for k in ("answered", "abandoned", "timeout", "exitempty",
                                                                     "exitkey", "waiting"))
    assert (queue["answered"], queue["abandoned"], queue["timeout"], queue["waiting"]) == (
        outcomes.count("answered"), outcomes.count("abandon"), outcomes.count("timeout"), outcomes.count("waiting"))
    assert queue["transferred"] == sum(stay.transferred for stay in log) <= queue["answered"]
    answered = [stay.wait for stay in log if stay.outcome == "answered"]
    within = sum(1 for wait in answered if wait <= level)
    assert queue["serviceLevel"] == {"seconds": level, "answered": within, "ratio": round(within / len(log), 4)}
    waits = [stay.wait for stay in log if stay.wait is not None]
    spread = queue["wait"]["all"]
    assert spread is None if not waits else (spread["max"] == max(waits) and spread["p90"] in waits
                                             and min(waits) <= spread["avg"] <= max(waits))
    agents = queue["agents"]
    assert sum(a["answered"] for a in agents.values()) == queue["answered"]
    assert sum(a["talk"] for a in agents.values()) == sum(stay.talk or 0 for stay in log)
    unanswered = [ms for stay in log for _, event, ms in stay.rings if event == "RINGNOANSWER"]
    assert sum(a["ringNoAnswer"] for a in agents.values()) == sum(1 for ms in unanswered if ms > 0)
    assert sum(a["busy"] for a in agents.values()) == unanswered.count(0)
