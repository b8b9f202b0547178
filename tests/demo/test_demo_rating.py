"""The demo prices what it generates: its directory names the example decks, it loads them once,
and its outcalls and statements show money."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from demo_support import DIRECTORY_YAML, world
from sqlalchemy import Engine, func, select

from calldata.demo import demo
from calldata.rating.decks import listing
from calldata.reports.build import report
from calldata.reports.request import ReportRequest
from calldata.statements.monthly import company_statement
from calldata.store.schema import cdr

START = datetime(2026, 11, 2, tzinfo=UTC)


def test_the_demo_loads_its_decks_once_and_prices_the_generated_calls(engine: Engine) -> None:
    demo.load_directory(engine, DIRECTORY_YAML.read_text(), "example")
    assert demo.load_decks(engine) == ["carrier1", "globex-gateway", "uk-retail"]
    demo.load_decks(engine)
    with engine.connect() as conn:
        assert [(d.name, d.version, d.currency) for d in listing(conn)] == [
            ("carrier1", 1, "GBP"), ("globex-gateway", 1, "GBP"), ("uk-retail", 1, "GBP")]
    demo.fill(engine, world(), rows=1500, seed=5, start=START, days=3)
    demo.rate(engine, START, 3)
    assert demo.rate(engine, START, 3).changed == 0  # priced already: nothing to write again
    with engine.connect() as conn:
        out = select(func.count()).where(cdr.c.bill_to != "", cdr.c.disposition == "ANSWERED", cdr.c.trunk != "")
        answered_out = conn.execute(out).scalar_one()
        priced, micros = conn.execute(select(func.count(cdr.c.price), func.sum(cdr.c.price)).where(cdr.c.bill_to == "acme")).one()
        outcalls = report(conn, "outcalls", ReportRequest(("acme",), 2026, 11), "UTC")
        built = company_statement(conn, "acme", 2026, 11, "UTC")
    assert answered_out > 0 and priced > 0
    assert any("cost" in entry["totals"] for entry in outcalls.values())
    assert [line.amount for line in built.totals] == [Decimal(micros) / 10**6]
