"""The figures of the stays entered in a period, read from the kept stays (queue_stay, one narrow
row per stay; queue_stay_ring, its members rung): a month of a busy queue is ~30,000 rows found
by (queue, entered), not its 100,000+ events read and numbered again.

On PostgreSQL one GROUP BY counts them and a few rows come back; on SQLite the rows are read back
as stays and stats.py counts them. Either way the tallies go through `stats.shaped`, and stays.py
and stats.py stay THE definition: tests/queues/test_queue_kept.py holds these figures equal to
stats.py over the stored events on both stores.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, select

from calldata.queues.query import COMPANY_COLUMNS, among, attributed
from calldata.queues.schema import queue_stay, queue_stay_ring
from calldata.queues.stats import DEFAULT_SERVICE_LEVEL, P90, agent_entry, figures, shaped, spread_of
from calldata.queues.stays import ABANDON, ANSWERED, OUTCOMES, Stay

WORK_MEM = "32MB"


def period_figures(conn: Connection, start: datetime, end: datetime, queues: Sequence[str] = (),
                   companies: Collection[str] | None = None,
                   service_level: int = DEFAULT_SERVICE_LEVEL) -> dict[str, dict[str, Any]]:
    """stats.figures of the stays entered in [start, end) (of `queues` when given, of callers with
    a leg of one of `companies` unless None; queues named are there even when quiet)."""
    if companies is not None and not companies:
        return figures([], service_level, queues)
    params: dict[str, Any] = {"start": int(start.timestamp()), "end": int(end.timestamp()), "level": service_level}
    if queues:
        params["queues"] = list(queues)
    if companies is not None:
        params["companies"] = list(companies)
    if conn.dialect.name == "postgresql":
        return _counted(conn, params, queues, companies is not None)
    return figures(period_stays(conn, params, bool(queues), companies is not None), service_level, queues)


def period_stays(conn: Connection, params: dict[str, Any], queues: bool, companies: bool) -> list[Stay]:
    """The kept stays of `period_figures`'s params, with their members rung (SQLite's way)."""
    def scoped(table: Any) -> Any:
        stmt = select(table).where(table.c.entered >= bindparam("start"), table.c.entered < bindparam("end"))
        return stmt.where(among(conn.dialect.name, table.c.queue, "queues")) if queues else stmt

    stay_stmt = scoped(queue_stay)
    if companies:
        stay_stmt = stay_stmt.where(attributed(conn.dialect.name, queue_stay.c.callid))
    found: dict[tuple[str, int], Stay] = {}
    for row in conn.execute(stay_stmt, params):
        found[(row.callid, row.n)] = Stay(row.callid, row.queue, row.entered, row.ended, row.outcome, row.wait,
                                          row.agent, row.talk, row.transferred)
    for ring in conn.execute(scoped(queue_stay_ring), params):
        if (stay := found.get((ring.callid, ring.n))) is not None:  # else a caller not in scope
            stay.rung[ring.agent] = [ring.unanswered, ring.busy]
    return list(found.values())


@cache
def statement(queues: bool, companies: bool) -> str:
    """PostgreSQL's count of the stays entered in [%(start)s, %(end)s) (epoch seconds), of the
    queues %(queues)s when `queues`, of callers with a leg of %(companies)s when `companies`
    (calldata.queues.query's rule). Rows: ('q', queue, NULL, stays by outcome..., transferred,
    within, then count, sum, p90, max of the answered, abandoned and all waits) and ('a', queue,
    member, answered, ringNoAnswer, busy, talk)."""
    in_queues = "AND queue = ANY(%(queues)s)" if queues else ""
    legs = " OR ".join(f"cdr.{column} = ANY(%(companies)s)" for column in COMPANY_COLUMNS)
    # a probe of ix_cdr_uniqueid per stay, index-only: it includes the company columns (migration
    # 0019). A subquery in the select list is never made a join: as a semi-join PostgreSQL chose a
    # scan of all of cdr when the company is a large share of it.
    attributed_stay = (f"AND (SELECT true FROM cdr WHERE cdr.uniqueid = queue_stay.callid AND ({legs}) LIMIT 1)"
                       if companies else "")
    # the period's rows of members rung, joined to the stays in scope by hashing both (probing the
    # ring table's key once per stay cost as much as the rest of the statement: bench/queue_stats.py)
    rung = ("SELECT r.queue, r.agent, r.unanswered, r.busy FROM rung r JOIN stays s ON s.callid = r.callid AND s.n = r.n"
            if companies else "SELECT queue, agent, unanswered, busy FROM rung")
    counts = ", ".join(f"count(*) FILTER (WHERE outcome = '{outcome}')" for outcome in OUTCOMES)

    def waits(where: str) -> str:
        return (f"count(wait) FILTER (WHERE {where}), sum(wait) FILTER (WHERE {where}), "
                f"percentile_disc({P90}) WITHIN GROUP (ORDER BY wait) FILTER (WHERE {where}), "
                f"max(wait) FILTER (WHERE {where})")

    return f"""
WITH stays AS MATERIALIZED (
  SELECT callid, n, queue, outcome, wait, agent, talk, transferred FROM queue_stay
  WHERE entered >= %(start)s AND entered < %(end)s {in_queues} {attributed_stay}
), rung AS MATERIALIZED (
  SELECT callid, n, queue, agent, unanswered, busy FROM queue_stay_ring
  WHERE entered >= %(start)s AND entered < %(end)s {in_queues}
), members AS (
  SELECT queue, agent, 0 AS answered, unanswered, busy, 0 AS talk FROM ({rung}) AS scoped
  UNION ALL
  SELECT queue, agent, 1, 0, 0, coalesce(talk, 0) FROM stays WHERE outcome = '{ANSWERED}'
)
SELECT 'q', queue, NULL, {counts}, count(*) FILTER (WHERE transferred),
       count(*) FILTER (WHERE outcome = '{ANSWERED}' AND wait <= %(level)s),
       {waits(f"outcome = '{ANSWERED}'")}, {waits(f"outcome = '{ABANDON}'")}, {waits("wait IS NOT NULL")}
FROM stays GROUP BY queue
UNION ALL
SELECT 'a', queue, agent, sum(answered), sum(unanswered), sum(busy), sum(talk),
       {", ".join(["NULL"] * (len(OUTCOMES) + 2 + 12 - 4))}
FROM members GROUP BY queue, agent
"""


def _spread(values: Sequence[Any]) -> dict[str, Any] | None:
    count, total, p90, most = values
    return spread_of(count, int(total), int(p90), int(most)) if count else None


def _counted(conn: Connection, params: dict[str, Any], queues: Sequence[str],
             companies: bool) -> dict[str, dict[str, Any]]:
    """`period_figures` counted by PostgreSQL (`statement`), shaped by stats.shaped."""
    cursor = conn.connection.cursor()
    try:
        # for this transaction only: no JIT (tens of ms of work: compiling it would cost more), and
        # the period's stays and rings kept, sorted and joined in memory (at the default 4MB a busy
        # queue's month spilled to disk)
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(statement(bool(queues), companies), params)
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
    level = params["level"]
    found = {}
    for name in sorted({*queues, *tallies, *agents}):
        values = tallies.get(name)
        if values is None:
            values = (0,) * (len(OUTCOMES) + 2) + (0, None, None, None) * 3
        counts = dict(zip(OUTCOMES, (int(v) for v in values[:len(OUTCOMES)]), strict=True))
        transferred, within = (int(v) for v in values[len(OUTCOMES):len(OUTCOMES) + 2])
        rest = values[len(OUTCOMES) + 2:]
        waits = {"answered": _spread(rest[0:4]), "abandoned": _spread(rest[4:8]), "all": _spread(rest[8:12])}
        found[name] = shaped(counts, transferred, waits, within, level, agents.get(name, {}))
    return found
