"""A company-scoped queue count on PostgreSQL checks each stay's caller against its CDR legs by
`ix_cdr_uniqueid` alone: the index holds the company columns (migration 0019), so the probe reads
no heap page once the legs are all-visible (bench/RESULTS.md, queue statistics)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, text

from calldata.cdr import Cdr
from calldata.queues.figures import WORK_MEM, period_figures, statement
from calldata.queues.query import COMPANY_COLUMNS
from calldata.queues.schema import queue_stay
from calldata.queues.stays import ANSWERED
from calldata.store.cdrs import insert_cdrs

START = datetime(2026, 11, 1, tzinfo=UTC)
CALLERS = 400


def leg_of(i: int) -> Cdr:
    """Caller i's leg into the queue."""
    at = START + timedelta(seconds=i)
    return Cdr(start=at, answer=at + timedelta(seconds=2), end=at + timedelta(seconds=60), src=f"0601{i:06d}",
               dst="500", channel=f"PJSIP/trunk-{i:08x}", uniqueid=f"1793000000.{i}", linkedid=f"1793000000.{i}",
               duration=60, billsec=58, disposition="ANSWERED")


@pytest.mark.parametrize("store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_a_company_scoped_count_probes_the_callers_legs_in_the_index_alone(engine: Engine) -> None:
    legs = [leg_of(i) for i in range(CALLERS)]
    first = int(START.timestamp())
    with engine.begin() as conn:
        insert_cdrs(conn, legs)
        # every other caller's leg is busy's, by each of the company columns in turn
        for k, i in enumerate(range(0, CALLERS, 2)):
            column = COMPANY_COLUMNS[k % len(COMPANY_COLUMNS)]
            conn.execute(text(f"UPDATE cdr SET {column} = 'busy' WHERE uniqueid = :u"), {"u": legs[i].uniqueid})
        conn.execute(insert(queue_stay), [
            {"callid": leg.uniqueid, "n": 0, "queue": "q1", "entered": first + i, "ended": first + i + 60,
             "outcome": ANSWERED, "wait": 5, "agent": "Bob", "talk": 30, "transferred": False}
            for i, leg in enumerate(legs)])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE cdr"))  # all-visible: an index-only scan needs no heap page
        conn.execute(text("VACUUM ANALYZE queue_stay"))
    params = {"start": first, "end": first + CALLERS, "queues": ["q1"], "companies": ["busy"], "level": 20}
    with engine.begin() as conn:
        assert period_figures(conn, START, datetime.fromtimestamp(first + CALLERS, UTC), ("q1",),
                              ["busy"])["q1"]["offered"] == CALLERS // 2
        cursor = conn.connection.cursor()
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute("SET LOCAL enable_seqscan = off")  # a small table: the probe as at scale
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + statement(True, True), params)
        plan = [line for (line,) in cursor.fetchall()]
    probes = [i for i, line in enumerate(plan) if " on cdr_" in line and "never executed" not in line]
    assert probes, "\n".join(plan)
    for i in probes:  # each partition holding legs: the uniqueid index alone, no heap fetch
        assert "Index Only Scan using" in plan[i] and "uniqueid" in plan[i], "\n".join(plan)
        fetches = next(line for line in plan[i + 1:] if "Heap Fetches" in line)
        assert fetches.strip() == "Heap Fetches: 0", "\n".join(plan)
