"""Queue figures counted by PostgreSQL: the rules of calldata.queues.stays and .stats written once
more in SQL, so the events of a month (100,000 and more) never leave the database; a few rows come
back, shaped by `stats.shaped`.

stays.py and stats.py stay THE definition (SQLite counts with them, and incalls, calls and
queuedata read stays with them): tests/queues/test_queue_counted.py holds this statement equal to
them on generated queue_logs, and the recorded stories' figures go through it on PostgreSQL.

How the statement follows stays.py, step by step:

- `fields`: the data columns up to the last non-empty one, the last of them split on `|`
  (`d[1:k-1] || string_to_array(d[k], '|')`);
- `number`: ASCII digits between ASCII whitespace (`stays.WHITESPACE`), else NULL;
- a stay: the ENTERQUEUEs of an event's callid and queue so far, in (time, id) order (0: before
  any, no stay);
- `_apply` in order: the last CONNECT decides an answered stay's member and wait; without one the
  first ending (COMPLETE*, *TRANSFER with 3 fields or more) does; the last ending gives the talk and
  whether it was a transfer; unanswered, the first ABANDON/EXIT* gives the outcome and the wait;
  a wait not logged as a number is the seconds since ENTERQUEUE;
- `spread`'s p90: percentile_disc(0.9), the value at rank ceil(0.9 * count) as Python takes it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection

from calldata.queues.stats import DEFAULT_SERVICE_LEVEL, P90, agent_entry, shaped, spread_of
from calldata.queues.stays import ANSWERED, CONNECT, ENDED, ENTER, LEFT, OUTCOMES, RINGS, TRANSFERS, WAITING, WHITESPACE


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


_WHITESPACE = "".join("\\x%02x" % ord(c) for c in WHITESPACE)  # stays.WHITESPACE, in an E'' literal


def _number(value: str) -> str:
    """stays.number in SQL: the digits of `value` as numeric (no overflow), else NULL (plain digits
    first: trimming costs more than the regular expression)."""
    padded = f"E'^[{_WHITESPACE}]*[0-9]+[{_WHITESPACE}]*$'"
    return (f"CASE WHEN {value} ~ '^[0-9]+$' THEN ({value})::numeric "
            f"WHEN {value} ~ {padded} THEN btrim({value}, E'{_WHITESPACE}')::numeric END")


_OUTCOME = "CASE " + " ".join(f"WHEN l_event = '{event}' THEN '{outcome}'" for event, outcome in LEFT.items()) + " END"

# stays.fields, one field at a time: `k` the last non-empty data column, `last` it. Unless `last`
# holds a `|` (data5 of a line with more than 5 fields) the fields are the columns up to it.
_SPLIT = "(ARRAY[data1, data2, data3, data4, data5])[1:k - 1] || string_to_array(last, '|')"
_COLUMN_BEFORE_LAST = {1: "CASE k WHEN 5 THEN data4 WHEN 4 THEN data3 WHEN 3 THEN data2 WHEN 2 THEN data1 END",
                       2: "CASE k WHEN 5 THEN data3 WHEN 4 THEN data2 WHEN 3 THEN data1 END"}


def _field(index: int) -> str:
    """Field `index` of stays.fields (0 the first, -1 the last...; NULL when there is none)."""
    if index == 0:
        return f"CASE WHEN strpos(last, '|') > 0 THEN ({_SPLIT})[1] ELSE data1 END"
    back = -index - 1
    split = f"({_SPLIT})[cardinality({_SPLIT}) - {back}]"
    return f"CASE WHEN strpos(last, '|') > 0 THEN {split} ELSE {'last' if not back else _COLUMN_BEFORE_LAST[back]} END"


_FIELD_COUNT = f"CASE WHEN strpos(last, '|') > 0 THEN cardinality({_SPLIT}) ELSE k END"


# the seconds from a stay's ENTERQUEUE to an event (stays.Line.time: whole epoch seconds)
_SINCE_ENTER = 'floor(extract(epoch FROM "time"))::bigint - floor(extract(epoch FROM entered_at))::bigint'


@cache
def statement(queues: bool, companies: bool) -> str:
    """The figures of the stays entered in [%(start)s, %(end)s), of the queues %(queues)s when
    `queues`, of callers with a leg of %(companies)s when `companies` (calldata.queues.query's
    scoping). Rows: ('q', queue, NULL, stays by outcome..., transferred, within, then count, sum,
    p90, max of the answered, abandoned and all waits) and ('a', queue, member, answered,
    ringNoAnswer, busy, talk)."""
    in_queues = "AND queue = ANY(%(queues)s)" if queues else ""
    attributed = ("AND EXISTS (SELECT 1 FROM cdr WHERE cdr.uniqueid = queue_event.callid AND (cdr.company = "
                  "ANY(%(companies)s) OR cdr.target = ANY(%(companies)s) OR cdr.bill_to = ANY(%(companies)s)))"
                  if companies else "")
    counts = ", ".join(f"count(*) FILTER (WHERE outcome = '{outcome}')" for outcome in OUTCOMES)
    first_number = f"event IN ('{CONNECT}', {_quoted(RINGS)})"

    def waits(where: str) -> str:
        return (f"count(wait) FILTER (WHERE {where}), sum(wait) FILTER (WHERE {where}), "
                f"percentile_disc({P90}) WITHIN GROUP (ORDER BY wait) FILTER (WHERE {where}), "
                f"max(wait) FILTER (WHERE {where})")

    return f"""
WITH entered AS (
  SELECT callid FROM queue_event
  WHERE event = '{ENTER}' AND "time" >= %(start)s AND "time" < %(end)s {in_queues} {attributed}
), logged AS (
  SELECT callid, queue, agent, event, "time", id, data1, data2, data3, data4, data5,
         CASE WHEN data5 <> '' THEN 5 WHEN data4 <> '' THEN 4 WHEN data3 <> '' THEN 3
              WHEN data2 <> '' THEN 2 WHEN data1 <> '' THEN 1 ELSE 0 END AS k,
         CASE WHEN data5 <> '' THEN data5 WHEN data4 <> '' THEN data4 WHEN data3 <> '' THEN data3
              WHEN data2 <> '' THEN data2 ELSE data1 END AS last
  FROM queue_event
  WHERE callid = ANY(ARRAY(SELECT callid FROM entered)) OFFSET 0  -- k and last once per event
), chosen AS (
  -- the field an event's number comes from: its wait (or ring), and an ending's calltime
  SELECT callid, queue, agent, event, "time", id,
         CASE WHEN {first_number} THEN {_field(0)}
              WHEN event IN ({_quoted(tuple(LEFT))}) THEN {_field(-1)}
              WHEN event IN ({_quoted(ENDED)}) THEN {_field(-3)} END AS held,
         CASE WHEN event IN ({_quoted(ENDED)}) THEN {_field(-2)} END AS talk,
         event IN ({_quoted(ENDED)}) AND {_FIELD_COUNT} >= 3 AS ending
  FROM logged OFFSET 0  -- computed once, not in each use below
), parsed AS (
  SELECT callid, queue, agent, event, "time", id, {_number("held")} AS held, {_number("talk")} AS talk, ending
  FROM chosen
), numbered AS (
  SELECT *, count(*) FILTER (WHERE event = '{ENTER}') OVER caller AS stay, row_number() OVER caller AS seq
  FROM parsed
  WINDOW caller AS (PARTITION BY callid, queue ORDER BY "time", id ROWS UNBOUNDED PRECEDING)
), marked AS (
  SELECT *,
         min("time") OVER one AS entered_at,
         max(seq) FILTER (WHERE event = '{CONNECT}') OVER one AS last_connect,
         min(seq) FILTER (WHERE ending) OVER one AS first_ending,
         max(seq) FILTER (WHERE ending) OVER one AS last_ending,
         min(seq) FILTER (WHERE event IN ({_quoted(tuple(LEFT))})) OVER one AS first_left
  FROM numbered WHERE stay > 0
  WINDOW one AS (PARTITION BY callid, queue, stay)
), grouped AS (
  -- per stay (its members' answers come from its outcome) and per member rung
  SELECT GROUPING(callid) AS by_member, queue, callid, stay, agent,
         bool_or(last_connect IS NOT NULL OR first_ending IS NOT NULL) AS answered,
         max(agent) FILTER (WHERE seq = last_connect) AS c_agent,
         max(coalesce(held, {_SINCE_ENTER})) FILTER (WHERE seq = last_connect) AS c_wait,
         max(agent) FILTER (WHERE seq = first_ending) AS e_agent,
         max(coalesce(held, {_SINCE_ENTER})) FILTER (WHERE seq = first_ending) AS e_wait,
         max(talk) FILTER (WHERE seq = last_ending) AS talk,
         bool_or(event IN ({_quoted(TRANSFERS)})) FILTER (WHERE seq = last_ending) AS transferred,
         max(event) FILTER (WHERE seq = first_left) AS l_event,
         max(coalesce(held, {_SINCE_ENTER})) FILTER (WHERE seq = first_left) AS l_wait,
         count(*) FILTER (WHERE event IN ({_quoted(RINGS)})) AS rings,
         count(*) FILTER (WHERE event = 'RINGNOANSWER' AND coalesce(held, 0) > 0) AS unanswered,
         count(*) FILTER (WHERE event = 'RINGNOANSWER' AND coalesce(held, 0) = 0) AS busy
  FROM marked WHERE entered_at >= %(start)s AND entered_at < %(end)s {in_queues}
  GROUP BY GROUPING SETS ((queue, callid, stay), (queue, agent))
), outcomes AS (
  SELECT queue,
         CASE WHEN answered THEN '{ANSWERED}' WHEN l_event IS NOT NULL THEN {_OUTCOME} ELSE '{WAITING}' END AS outcome,
         CASE WHEN answered THEN (CASE WHEN c_agent IS NOT NULL THEN c_agent ELSE e_agent END) END AS agent,
         CASE WHEN answered THEN coalesce(c_wait, e_wait) ELSE l_wait END AS wait,
         CASE WHEN answered THEN talk END AS talk,
         answered AND coalesce(transferred, false) AS transferred
  FROM grouped WHERE by_member = 0
), members AS (
  SELECT queue, agent, 0 AS answered, unanswered, busy, 0 AS talk FROM grouped WHERE by_member = 1 AND rings > 0
  UNION ALL
  SELECT queue, agent, 1, 0, 0, coalesce(talk, 0) FROM outcomes WHERE outcome = '{ANSWERED}'
)
SELECT 'q', queue, NULL, {counts}, count(*) FILTER (WHERE transferred),
       count(*) FILTER (WHERE outcome = '{ANSWERED}' AND wait <= %(level)s),
       {waits(f"outcome = '{ANSWERED}'")}, {waits(f"outcome = '{LEFT['ABANDON']}'")}, {waits("wait IS NOT NULL")}
FROM outcomes GROUP BY queue
UNION ALL
SELECT 'a', queue, agent, sum(answered), sum(unanswered), sum(busy), sum(talk),
       {", ".join(["NULL"] * (len(OUTCOMES) + 12 - 4 + 2))}
FROM members GROUP BY queue, agent
"""


WORK_MEM = "64MB"


def _spread(values: Sequence[Any]) -> dict[str, Any] | None:
    count, total, p90, most = values
    return spread_of(count, int(total), int(p90), int(most)) if count else None


def period_figures(conn: Connection, start: datetime, end: datetime, queues: Sequence[str] = (),
                   companies: Collection[str] | None = None,
                   service_level: int = DEFAULT_SERVICE_LEVEL) -> dict[str, dict[str, Any]]:
    """stats.figures of the stays entered in [start, end) (of `queues` when given, of callers with
    a leg of one of `companies` unless None), counted by PostgreSQL."""
    if companies is not None and not companies:
        rows: list[Any] = []
    else:
        params: dict[str, Any] = {"start": start, "end": end, "queues": list(queues),
                                  "companies": list(companies or ()), "level": service_level}
        cursor = conn.connection.cursor()
        try:
            # for this transaction only: the month's events sorted and grouped in memory (at the
            # default 4MB a busy queue's month spilled to disk), and no JIT (the company-scoped
            # statement's estimate passed jit_above_cost: ~400 ms compiling for a 300 ms query;
            # bench/queue_stats.py)
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(statement(bool(queues), companies is not None), params)
            rows = cursor.fetchall()
        finally:
            cursor.close()
    tallies: dict[str, tuple[Any, ...]] = {}
    agents: dict[str, dict[str, dict[str, int]]] = {name: {} for name in queues}
    for kind, queue, agent, *values in rows:
        if kind == "q":
            tallies[queue] = tuple(values)
        else:
            answered, unanswered, busy, talk = (int(v) for v in values[:4])
            agents.setdefault(queue, {})[agent] = {**agent_entry(), "answered": answered, "ringNoAnswer": unanswered,
                                                   "busy": busy, "talk": talk}
    found = {}
    for name in sorted({*queues, *tallies, *agents}):
        values = tallies.get(name)
        if values is None:
            values = (0,) * (len(OUTCOMES) + 2) + (0, None, None, None) * 3
        counts = dict(zip(OUTCOMES, (int(v) for v in values[:len(OUTCOMES)]), strict=True))
        transferred, within = (int(v) for v in values[len(OUTCOMES):len(OUTCOMES) + 2])
        rest = values[len(OUTCOMES) + 2:]
        waits = {"answered": _spread(rest[0:4]), "abandoned": _spread(rest[4:8]), "all": _spread(rest[8:12])}
        found[name] = shaped(counts, transferred, waits, within, service_level, agents.get(name, {}))
    return found
