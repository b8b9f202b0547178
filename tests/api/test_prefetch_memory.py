"""A real `calldata serve` does not keep every page it read ahead: its memory stays bounded.

Distinct full pages of 10,000 rows each leave a page of ~6 MB read ahead that nobody asks for:
40 of them grew the server by about 220 MB (80 by 420 MB), for good. Read-ahead now holds at most
its byte budget, and the server's growth stays within that and a few pages' working memory.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from api_helpers import cdr, store_rows
from servers import serving_process

REQUESTS = 40
ROWS = 10_000
BUDGET = 32 << 20  # CALLDATA_PREFETCH_MAX_BYTES for this server


def rss_bytes(pid: int) -> int:
    """The process's resident memory, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


@pytest.mark.slow
@pytest.mark.parametrize("store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_distinct_big_pages_read_ahead_leave_the_servers_memory_bounded(
    store_url: str, engine: Engine, billing_key: str
) -> None:
    ids = store_rows(engine, [cdr(i) for i in range(2 * ROWS + REQUESTS)])  # every page ahead is full too
    env = {"CALLDATA_PREFETCH_MAX_BYTES": str(BUDGET), "CALLDATA_PREFETCH_SECONDS": "1"}
    headers = {"authorization": f"Bearer {billing_key}"}
    with serving_process(store_url, env) as (base, process), httpx.Client(base_url=base, headers=headers,
                                                                          timeout=60) as client:

        def read(i: int) -> httpx.Response:
            return client.post("/rest/call/read", json={"scope": {"minID": ids[i], "maxRows": ROWS, "cachedata": True}})

        first = read(0)  # the server's working set for one such page, before measuring
        assert first.status_code == 200 and first.json()["numRows"] == ROWS
        page_bytes = len(first.content)
        time.sleep(1.5)  # its page read ahead expires
        before = rss_bytes(process.pid)
        for i in range(1, REQUESTS):
            assert read(i).status_code == 200
        grown = rss_bytes(process.pid) - before
    bound = BUDGET + 6 * page_bytes  # the budget, and the working memory of a few pages
    assert page_bytes * (REQUESTS - 1) > 2 * bound  # what unbounded read-ahead would hold
    assert grown < bound, f"grew {grown >> 20} MB, pages of {page_bytes >> 20} MB"
