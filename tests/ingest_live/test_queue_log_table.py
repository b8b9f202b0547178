"""Asterisk's realtime queue_log table on the real PostgreSQL and MariaDB servers, followed by its id."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, select, text

from calldata.ingest import checkpoints
from calldata.ingest.importer import import_file
from calldata.ingest.queuetable import QueueRows
from calldata.ingest.table import TableSource
from calldata.store.schema import quarantine

from livesupport import MARIADB_URL, drain
from queue_logs import QUEUE_LOG, QUEUE_LOG_LINES, expected, stored

NAME = "pbx-queues-db"
NEW_YORK = ZoneInfo("America/New_York")  # the run is in November: 5 h behind UTC

# contrib/ast-db-manage/queue_log: the table Asterisk's alembic creates (time a naive DATETIME)
DDL = {
    "postgresql": """CREATE TABLE {table} (id bigserial PRIMARY KEY, time timestamp, callid varchar(80),
        queuename varchar(256), agent varchar(80), event varchar(32), {data})""",
    "mariadb": """CREATE TABLE {table} (id bigint AUTO_INCREMENT PRIMARY KEY, time datetime(6), callid varchar(80),
        queuename varchar(256), agent varchar(80), event varchar(32), {data}) CHARACTER SET utf8mb4""",
}
DATA5 = ", ".join(f"data{n} varchar(100)" for n in range(1, 6))


@dataclass
class QueueTable:
    """An Asterisk-shaped queue_log table on a real server."""

    url: str
    name: str
    engine: Engine
    single_data: bool  # one `data` column (Asterisk's non-adaptive realtime) instead of data1..data5

    def insert(self, lines: list[bytes], zone: Any = UTC) -> None:
        """The lines as Asterisk's realtime writes them: local time with microseconds, data split or joined."""
        rows = []
        for i, line in enumerate(lines):
            epoch, callid, queue, agent, event, *data = line.decode().rstrip("\n").split("|")
            when = datetime.fromtimestamp(int(epoch), UTC).astimezone(zone).replace(tzinfo=None, microsecond=1000 * i % 999_999)
            row = {"time": when, "callid": callid, "queuename": queue, "agent": agent, "event": event}
            if self.single_data:
                row["data"] = "|".join(data)
            else:
                data = [*data[:4], "|".join(data[4:])] if len(data) > 5 else data + [""] * (5 - len(data))
                row.update({f"data{n}": data[n - 1] for n in range(1, 6)})
            rows.append(row)
        names = list(rows[0])
        with self.engine.begin() as conn:
            conn.execute(text(f"INSERT INTO {self.name} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})"), rows)

    def source(self, **kw: Any) -> TableSource:
        return TableSource(NAME, self.url, table=self.name, rows=QueueRows, poll_seconds=0.01, **kw)


def _queue_table(request: pytest.FixtureRequest, kind: str, *, single_data: bool, time_type: str = "") -> Iterator[QueueTable]:
    name = f"queue_log_{uuid.uuid4().hex[:8]}"
    url = request.getfixturevalue("pbx_pg_url") if kind == "postgresql" else MARIADB_URL
    ddl = DDL[kind].format(table=name, data="data varchar(512)" if single_data else DATA5)
    if time_type:
        ddl = ddl.replace("time timestamp", f"time {time_type}").replace("time datetime(6)", f"time {time_type}")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.execute(text(ddl))
    except Exception as exc:  # the server is down or refuses us: under CI that is a failure
        message = f"{kind} server for the queue_log table: {str(exc).splitlines()[0]}"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    try:
        yield QueueTable(url, name, engine, single_data)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        engine.dispose()


@pytest.fixture(params=["postgresql", "mariadb"])
def queue_table(request: pytest.FixtureRequest) -> Iterator[QueueTable]:
    """Asterisk's adaptive realtime queue_log (data1..data5) with a serial id."""
    yield from _queue_table(request, request.param, single_data=False)


@pytest.fixture(params=["postgresql", "mariadb"])
def queue_table_single_data(request: pytest.FixtureRequest) -> Iterator[QueueTable]:
    """The older shape: one `data` column, `time` a text column."""
    yield from _queue_table(request, request.param, single_data=True, time_type="varchar(26)")


def _state(engine: Engine) -> checkpoints.SourceState:
    with engine.connect() as conn:
        state = checkpoints.load(conn, NAME)
    assert state is not None
    return state


def test_the_run_through_the_table_is_stored_as_the_file_gives_it(engine: Engine, queue_table: QueueTable) -> None:
    queue_table.insert(QUEUE_LOG_LINES)
    assert drain(engine, queue_table.source()) == 14
    assert stored(engine) == expected(QUEUE_LOG_LINES)
    state = _state(engine)
    assert (state.kind, state.inserted, state.present) == ("queue_log_table", 14, 0)
    # the file of the same run names the same events: importing it too adds nothing
    result = import_file(engine, QUEUE_LOG, UTC)
    assert (result.layout, result.inserted, result.present) == ("queue_log", 0, 14)


def test_follows_from_the_checkpoint_with_repeats_across_batches(engine: Engine, queue_table: QueueTable) -> None:
    busy = b"1795965559|1795965551.50|acme-support|Bob|RINGNOANSWER|0\n"
    lines = [*QUEUE_LOG_LINES[:11], busy, busy, busy, *QUEUE_LOG_LINES[11:]]
    queue_table.insert(lines[:12])
    drain(engine, queue_table.source(batch_size=5))
    queue_table.insert(lines[12:14])  # the same second's repeats, read after a restart
    drain(engine, queue_table.source(batch_size=1), _state(engine).position)
    queue_table.insert(lines[14:])
    drain(engine, queue_table.source(batch_size=3), _state(engine).position)
    assert stored(engine) == expected(lines)
    state = _state(engine)
    assert (state.inserted, state.present) == (len(lines), 0)


def test_one_data_column_and_text_times_in_the_pbx_zone(engine: Engine, queue_table_single_data: QueueTable) -> None:
    queue_table_single_data.insert(QUEUE_LOG_LINES, zone=NEW_YORK)
    source = TableSource(NAME, queue_table_single_data.url, table=queue_table_single_data.name, rows=QueueRows, zone=NEW_YORK)
    assert drain(engine, source) == 14
    assert stored(engine) == expected(QUEUE_LOG_LINES)


def test_bad_rows_are_quarantined_with_their_id_and_reading_goes_on(engine: Engine, queue_table: QueueTable) -> None:
    queue_table.insert(QUEUE_LOG_LINES[:3])
    queue_table.insert([b"1795965372|1795965356.0|acme-support|NONE|abandon|1|1|14\n"])  # id 4
    queue_table.insert(QUEUE_LOG_LINES[3:])
    drain(engine, queue_table.source(batch_size=4))
    with engine.connect() as conn:
        rows = conn.execute(select(quarantine.c.source, quarantine.c.position, quarantine.c.reason)).all()
    assert [(s, p) for s, p, _ in rows] == [(NAME, "id=4")]
    assert rows[0][2].startswith("event: not a queue_log event name")
    assert stored(engine) == expected(QUEUE_LOG_LINES)


def test_a_table_without_an_id_is_refused_in_one_line(queue_table: QueueTable) -> None:
    with queue_table.engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE {queue_table.name} DROP COLUMN id"))
    source = queue_table.source()
    with pytest.raises(ValueError, match="no serial key column"):
        source.open("")


def test_a_table_that_is_not_a_queue_log_is_named() -> None:
    with pytest.raises(ValueError, match="not a queue_log table: no queuename, agent column"):
        QueueRows(["id", "time", "callid", "queue", "event", "data1"], UTC)
