"""`calldata queues rebuild`: a store whose events were stored without their stays (an older
store, a COPY) gets exactly the stays stays.py reads from them, and then the hand counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import Engine, delete

from calldata.queues.schema import queue_stay, queue_stay_ring
from queue_logs import computed_stays, kept_stays
from queue_world import RUN2, store_queue_log
from queues.hand_counts import ALL
from reports.test_report_cli import calldata as report


def test_rebuild_makes_the_stays_of_every_stored_event(store_url: str, world: Engine) -> None:
    store_queue_log(world, RUN2 / "all" / "queue_log")
    expected = computed_stays(world)
    assert kept_stays(world) == expected != []
    with world.begin() as conn:  # as a store upgraded from before 0018, or filled by COPY
        conn.execute(delete(queue_stay_ring))
        conn.execute(delete(queue_stay))
    done = subprocess.run([sys.executable, "-m", "calldata", "--database-url", store_url, "queues", "rebuild",
                           "--chunk", "2"], capture_output=True, text=True, env=os.environ, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    # every callid logged is a caller (QUEUESTART's NONE too), with or without a stay
    assert done.stdout.split() == ["stays", "rebuilt:", "4", "callers,", f"{len(expected)}", "stays"]
    assert kept_stays(world) == expected
    again = subprocess.run([sys.executable, "-m", "calldata", "--database-url", store_url, "queues", "rebuild"],
                           capture_output=True, text=True, env=os.environ, timeout=120, check=False)
    assert again.returncode == 0 and kept_stays(world) == expected
    counted = report(store_url, "queues", "--from", "2026-11-29", "--to", "2026-11-29", "--json")
    assert json.loads(counted.stdout) == {"acme-support": ALL}
