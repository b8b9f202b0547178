"""The incalls/outcalls page in Chromium: what it lists is the company's, and its CSV is the screen."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from calldata.store.schema import cdr
from console_helpers import ADMIN, ADMIN_PASSWORD, SCOPED, SCOPED_PASSWORD, Site, follow, log_in

SIDE = {"incalls": "target", "outcalls": "company"}  # the column that names the company of a leg in or out


@pytest.mark.parametrize("kind", SIDE)
def test_report_page_lists_the_companys_legs_and_its_csv_is_the_screen(site: Site, page: Page, kind: str) -> None:
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    follow(page, page.get_by_role("link", name="Reports"))
    page.get_by_label("Report", exact=True).select_option(kind)
    page.get_by_label("Company").select_option("acme")
    page.get_by_label("Month").fill("2026-11")
    follow(page, page.get_by_role("button", name="Show"))
    shown = [row.locator("td").all_inner_texts() for row in page.locator("table.report tbody tr").all()]
    assert len(shown) > 3
    acctids = {int(row[-1]) for row in shown}
    with site.engine.connect() as conn:
        sides = set(conn.execute(select(cdr.c[SIDE[kind]]).where(cdr.c.acctid.in_(acctids))).scalars())
    assert sides == {"acme"}
    site.shot(page, kind, whole=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == f"{kind}-acme-2026-11.csv"
    with open(download.value.path(), encoding="utf-8") as saved:
        exported = list(csv.reader(io.StringIO(saved.read())))[1:]
    assert [[cell.strip() for cell in row] for row in exported] == [[cell.strip() for cell in row] for row in shown]


def test_a_scoped_user_cannot_have_another_companys_report(site: Site, page: Page) -> None:
    log_in(page, site, SCOPED, SCOPED_PASSWORD)
    for path in ("/reports?kind=incalls&company=acme&month=2026-11", "/reports.csv?kind=outcalls&company=acme&month=2026-11"):
        response = page.request.get(site.base + path)
        assert response.status == 403 and "text/csv" not in response.headers["content-type"], path
    assert page.goto(f"{site.base}/reports?kind=nonsense&month=2026-11").status == 400
