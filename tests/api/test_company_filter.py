"""A PageQuery with companies: the rows a company-restricted reader may see, paged like any other."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import msgspec
import pytest
from sqlalchemy import Engine

from api_helpers import T0, cdr, issue_key, serving, set_columns, store_rows
from calldata.api.app import create_app
from calldata.config import Settings
from calldata.store import reads
from calldata.store.engine import sync_engine

# (company, target, bill_to) per row, cycling; None = not decided yet.
PATTERN = [
    ("acme", "acme", ""),
    ("", "globex", ""),
    ("initech", "", "initech"),
    (None, None, None),
    ("", "", "acme"),
    ("globex", "acme", "globex"),
    ("", "", ""),
    ("umbrella", "", "umbrella"),
]


@pytest.fixture
def reader(store_url: str) -> Iterator[Engine]:
    """A separate engine prepared for reads, as the API prepares its own."""
    eng = sync_engine(store_url)
    reads.prepare(eng, "UTC")
    yield eng
    eng.dispose()


def attributed(engine: Engine, count: int) -> dict[int, tuple[str | None, str | None, str | None]]:
    ids = store_rows(engine, [cdr(i) for i in range(count)])
    truth = {}
    for i, acctid in enumerate(ids):
        company, target, bill_to = PATTERN[i % len(PATTERN)]
        if company is not None:
            set_columns(engine, acctid, company=company, target=target, bill_to=bill_to)
        truth[acctid] = (company, target, bill_to)
    return truth


def walk(reader: Engine, companies: list[str], max_rows: int, **scope: object) -> list[dict]:
    rows: list[dict] = []
    min_id = 0
    with reader.connect() as conn:
        while True:
            page = reads.read_page(conn, reads.PageQuery(min_id=min_id, max_rows=max_rows, companies=companies, **scope))
            values = msgspec.json.decode(page.values)
            assert page.count == len(values) <= max_rows
            if not values:
                return rows
            assert page.last_acctid == values[-1]["acctid"]
            rows += values
            min_id = values[-1]["acctid"] + 1


@pytest.mark.parametrize("companies", [["acme"], ["globex"], ["acme", "initech"], ["nobody"], ["acme", "globex", "initech", "umbrella"]])
def test_only_rows_of_the_companies_come_back_each_once(engine: Engine, reader: Engine, companies: list[str]) -> None:
    truth = attributed(engine, 45)
    expected = [a for a, cols in truth.items() if any(c in companies for c in cols if c is not None)]
    rows = walk(reader, companies, max_rows=4)
    assert [row["acctid"] for row in rows] == expected
    for row in rows:
        props = row["properties"]
        assert {props["company"], props["target"], props["bill_to"]} & set(companies)


def test_rows_not_yet_attributed_and_empty_companies_never_match(engine: Engine, reader: Engine) -> None:
    truth = attributed(engine, 16)
    unattributed = {a for a, cols in truth.items() if cols[0] is None}
    assert unattributed
    seen = {row["acctid"] for row in walk(reader, ["", "acme", "globex", "initech", "umbrella"], 5)}
    assert not seen & unattributed
    with reader.connect() as conn:
        assert reads.read_page(conn, reads.PageQuery(companies=[])).count == 0
        assert reads.read_page(conn, reads.PageQuery(companies=None)).count == len(truth)


def test_company_filter_combines_with_the_date_window(engine: Engine, reader: Engine) -> None:
    truth = attributed(engine, 40)
    # cdr(i) starts at T0 + i minutes; keep minutes 10..29
    window = {"min_date": T0 + timedelta(minutes=10), "max_date": T0 + timedelta(minutes=30)}
    ordered = list(truth)
    expected = [a for a in ordered[10:30] if "acme" in truth[a]]
    assert expected
    assert [row["acctid"] for row in walk(reader, ["acme"], 3, **window)] == expected


@pytest.mark.anyio
async def test_the_endpoint_reads_only_the_companies_the_identity_allows(engine: Engine, store_url: str) -> None:
    truth = attributed(engine, 24)
    key = issue_key(engine, "initech_billing", ["initech"])
    app = create_app(Settings(database_url=store_url, password_hash_profile="CHEAPEST"))
    async with serving(app, key) as client:
        r = await client.post("/rest/call/read", content=b'{"scope": {"maxRows": 100}}')
    assert r.status_code == 200
    assert [row["acctid"] for row in r.json()["values"]] == [a for a, cols in truth.items() if "initech" in cols]
