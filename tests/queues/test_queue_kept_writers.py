"""Two writers storing events of one caller at once (two sources, PostgreSQL) leave the stays
stays.py reads from all of them: the second re-reads the caller's events only once the first has
committed (calldata.queues.kept's lock), not from a snapshot missing the first one's events."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine

from calldata.queues.event import numbered, parse_line
from calldata.queues.store import store_events
from queue_logs import computed_stays, kept_stays

ENTER = "1795965000|1795965000.1|q|NONE|ENTERQUEUE||07700900011|1"
CONNECT = "1795965004|1795965000.1|q|Bob|CONNECT|4|1795965001.2|2"


@pytest.mark.parametrize("store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_a_caller_stored_by_two_writers_at_once_gets_every_event_in_its_stay(engine: Engine) -> None:
    first = engine.connect()
    first.begin()
    store_events(first, list(numbered([parse_line(ENTER)])))  # not committed yet

    def second() -> None:
        with engine.begin() as conn:
            store_events(conn, list(numbered([parse_line(CONNECT)])))

    writer = threading.Thread(target=second)
    writer.start()
    time.sleep(0.5)  # the second writer has stored its event and is waiting for its turn
    first.commit()
    first.close()
    writer.join(30)
    assert not writer.is_alive()
    assert kept_stays(engine) == computed_stays(engine)
    assert [row[5] for row in kept_stays(engine)] == ["answered"]
