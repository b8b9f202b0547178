"""The coverage report, from the store and from the JSON endpoint."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.routing import Route

from calldata.api import attribution_report
from calldata.api.errors import ApiError, api_error
from calldata.attribution import versions
from calldata.attribution.report import coverage
from calldata.cdr import Cdr
from calldata.ingest.sink import store_batch
from calldata.store.engine import async_engine
from stories import DIRECTORY_YAML, RUNS, STORIES, read_master_csv

ALL = read_master_csv(STORIES / "all" / "Master.csv")
T = datetime(2026, 11, 29, 2, 30, tzinfo=UTC)
STRANGER = Cdr(start=T, end=T, channel="PJSIP/stranger-00000001", dst="5555", dcontext="from-nowhere",
               linkedid="99.1", uniqueid="99.1")


def _load(engine: Engine, *, directory: bool = True) -> None:
    with engine.begin() as conn:
        if directory:
            versions.save(conn, DIRECTORY_YAML.read_text(), "world")
        store_batch(conn, [*ALL, STRANGER])


def test_report_counts_what_is_undecided_and_why(engine: Engine) -> None:
    _load(engine)
    with engine.connect() as conn:
        report = coverage(conn)
    assert report.rows == len(ALL) + 1
    assert report.unattributed == 0
    assert report.company_or_target == len(ALL)  # the stranger's row has neither
    assert report.missing["company"] == 1 and report.missing["target"] == 1
    assert report.missing["dial_short"] == 0
    assert report.channels == [("PJSIP/stranger", 1)]
    assert report.contexts == [("from-nowhere", 1)]
    assert report.numbers == [("5555", 1)]


def test_report_date_range(engine: Engine) -> None:
    _load(engine)
    with engine.connect() as conn:
        before = coverage(conn, until=T)
        after = coverage(conn, since=T)
    assert before.rows == len(ALL) and before.missing["company"] == 0
    assert after.rows == 1 and after.missing["company"] == 1


def test_report_without_a_directory_counts_every_row_unattributed(engine: Engine) -> None:
    _load(engine, directory=False)
    with engine.connect() as conn:
        report = coverage(conn)
    assert report.directory_version is None
    assert report.unattributed == report.rows == report.missing["company"]



@pytest.mark.anyio
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_json_endpoint(engine: Engine, store_url: str) -> None:
    _load(engine)
    pool = async_engine(store_url)
    app = Starlette(routes=[Route("/r", attribution_report.endpoint(pool), methods=["POST"])],
                    exception_handlers={ApiError: api_error})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        ok = await client.post("/r", json={"since": int(T.timestamp() * 1000), "top": "3"})
        bad = await client.post("/r", json={"sinse": 1})
        bad_date = await client.post("/r", json={"until": "yesterday"})
    await pool.dispose()
    assert ok.status_code == 200
    body = ok.json()
    assert body["result"] == "success" and body["report"]["rows"] == 1
    assert body["report"]["channels"] == [["PJSIP/stranger", 1]]
    assert bad.status_code == 400 and bad.json() == {"result": "fail", "message": "sinse: unknown key (expected since, until, top)"}
    assert bad_date.status_code == 400 and bad_date.json()["message"].startswith("until:")


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_generated_demo_data_is_covered(engine: Engine) -> None:
    """The acceptance criterion: on the demo generator's CDRs for the example directory, at
    least 99% of rows get a company or a target."""
    from calldata.attribution.directory import load_directory
    from calldata.demo.generator import generate

    records = list(generate(load_directory(DIRECTORY_YAML), rows=3000, seed=7, start=T))
    with engine.begin() as conn:
        versions.save(conn, DIRECTORY_YAML.read_text(), "world")
        store_batch(conn, records)
    with engine.connect() as conn:
        report = coverage(conn)
    assert report.rows == len(records)
    assert report.company_or_target_share >= 0.99, report


@pytest.mark.anyio
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_the_app_serves_the_report_to_admins_only(store_url: str) -> None:
    from calldata.api.app import create_app
    from calldata.config import Settings

    app = create_app(Settings(database_url=store_url))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            anonymous = await client.post("/rest/attribution/report", json={})
    assert anonymous.status_code == 401 and anonymous.json()["result"] == "fail"


@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
def test_every_recorded_run_is_decided_in_full(engine: Engine, run) -> None:
    """Every property the spec makes decidable is decided on every row of each recorded run."""
    records = read_master_csv(run / "all" / "Master.csv")
    with engine.begin() as conn:
        versions.save(conn, DIRECTORY_YAML.read_text(), "world")
        store_batch(conn, records)
    with engine.connect() as conn:
        report = coverage(conn)
    assert report.rows == len(records) and report.unattributed == 0
    assert report.company_or_target == len(records)
    assert {name: count for name, count in report.missing.items() if count} == {}
    assert report.channels == [] and report.contexts == [] and report.numbers == []
