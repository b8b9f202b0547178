"""`calldata report queues`: the API's figures as tables or JSON; bad options stop with one line."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from queue_world import RUN2, store_queue_log
from queues.hand_counts import ALL
from reports.test_report_cli import calldata

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
DAY = ("--from", "2026-11-29", "--to", "2026-11-29")


def test_json_and_tables_show_the_hand_counts(store_url: str, world: Engine) -> None:
    store_queue_log(world, RUN2 / "all" / "queue_log")
    as_json = calldata(store_url, "queues", *DAY, "--json")
    scoped = calldata(store_url, "queues", *DAY, "--company", "acme", "--queue", "acme-support", "--json")
    other = calldata(store_url, "queues", *DAY, "--company", "globex", "--json")
    table = calldata(store_url, "queues", "--from", "2026-11-01", "--to", "2026-11-30")
    assert json.loads(as_json.stdout) == json.loads(scoped.stdout) == {"acme-support": ALL}
    assert json.loads(other.stdout) == {}
    assert table.returncode == 0 and "Traceback" not in table.stderr
    lines = table.stdout.splitlines()
    assert "offered                  3" in lines and "within 20 s      1 (33.3%)" in lines
    assert any(line.split() == ["Bob", "0", "3", "1", "0"] for line in lines)
    assert any(line.split() == ["all", "15.7", "30", "30"] for line in lines)


def test_the_service_level_is_asked_for(store_url: str, world: Engine) -> None:
    store_queue_log(world, RUN2 / "33-inbound-201-blind-transfer-to-queue-270" / "queue_log")
    strict = calldata(store_url, "queues", *DAY, "--service-level", "2", "--json")
    assert json.loads(strict.stdout)["acme-support"]["serviceLevel"] == {"seconds": 2, "answered": 0, "ratio": 0.0}


@pytest.mark.parametrize(("args", "named"), [
    (["queues", "--to", "2026-11-29"], "--from"),
    (["queues", "--from", "2026-11-29"], "--to"),
    (["queues", "--from", "29/11/2026", "--to", "2026-11-29"], "--from"),
    (["queues", *DAY[:2], "--to", "2026-11-28"], "--to"),
    (["queues", *DAY, "--company", "nobody"], "--company"),
    (["queues", *DAY, "--service-level", "-1"], "--service-level"),
    (["queues", *DAY, "--month", "2026-11"], "--month"),
    (["incalls", *DAY, "--company", "acme"], "--from"),
    (["incalls"], "--company"),
])
def test_a_bad_option_stops_with_one_line(store_url: str, world: Engine, args: list[str], named: str) -> None:
    done = calldata(store_url, *args)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and named in done.stderr and "Traceback" not in done.stderr
