"""The monthly statement page and its CSV download in Chromium, for an admin and a scoped user."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from playwright.sync_api import Page, expect
from sqlalchemy import func, select, update

from calldata.store.calls import note_changes
from calldata.store.schema import cdr
from console_helpers import ADMIN, ADMIN_PASSWORD, SCOPED, SCOPED_COMPANY, SCOPED_PASSWORD, Site, follow, log_in


def billed_total(site: Site, company: str) -> str:
    """The company's priced legs of 2026-11 summed straight from the store, at the demo decks' 4 decimals."""
    with site.engine.connect() as conn:
        micros = conn.execute(select(func.sum(cdr.c.price)).where(cdr.c.bill_to == company)).scalar_one()
    return f"{(Decimal(micros) / 1_000_000).quantize(Decimal('0.0001'))} GBP"


def test_statement_page_and_its_csv(site: Site, page: Page) -> None:
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    follow(page, page.get_by_role("link", name="Statements"))
    page.get_by_label("Company").select_option("acme")
    page.get_by_label("Month").fill("2026-11")
    follow(page, page.get_by_role("button", name="Show"))
    total = billed_total(site, "acme")
    expect(page.locator("tr.total")).to_contain_text(total)
    site.shot(page, "statement", whole=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "statement-acme-2026-11.csv"
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    totals = [row for row in rows if row["section"] == "total"]
    assert [f"{row['amount']} {row['currency']}" for row in totals] == [total]


def test_a_scoped_user_gets_only_their_companys_statement(site: Site, page: Page) -> None:
    log_in(page, site, SCOPED, SCOPED_PASSWORD)
    page.goto(f"{site.base}/statements?month=2026-11")
    assert page.get_by_label("Company").locator("option").all_inner_texts() == [f"Globex Corporation ({SCOPED_COMPANY})"]
    expect(page.locator("tr.total")).to_contain_text(billed_total(site, SCOPED_COMPANY))
    for path in ("/statements?company=acme&month=2026-11", "/statements.csv?company=acme&month=2026-11"):
        response = page.request.get(site.base + path)
        assert response.status == 403 and "text/csv" not in response.headers["content-type"], path
    for bad in ("month=2026-13", "month=soon", "month=0000-01", "month=9999-12", "company=nosuch&month=2026-11"):
        assert page.goto(f"{site.base}/statements?{bad}").status in (400, 403), bad


def reprice(site: Site, micros: int) -> None:
    """Add `micros` to the price of one of acme's priced legs of the month, as a re-rating would (noted)."""
    with site.engine.begin() as conn:
        acctid, call = conn.execute(select(cdr.c.acctid, cdr.c.call).where(cdr.c.bill_to == "acme", cdr.c.price.is_not(None))
                                    .order_by(cdr.c.acctid).limit(1)).one()
        conn.execute(update(cdr).where(cdr.c.acctid == acctid).values(price=cdr.c.price + micros))
        note_changes(conn, [call])


def test_a_statement_is_kept_until_a_leg_of_its_month_changes(site: Site, page: Page) -> None:
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    before = billed_total(site, "acme")
    page.goto(f"{site.base}/statements?company=acme&month=2026-11")
    expect(page.locator("tr.total")).to_contain_text(before)
    reprice(site, 10_000)
    try:
        after = billed_total(site, "acme")
        assert after != before
        page.goto(f"{site.base}/statements?company=acme&month=2026-11")
        expect(page.locator("tr.total")).to_contain_text(after)
    finally:
        reprice(site, -10_000)
    page.goto(f"{site.base}/statements?company=acme&month=2026-11")
    expect(page.locator("tr.total")).to_contain_text(before)
