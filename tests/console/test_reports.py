"""The incalls/outcalls page in Chromium: what it lists is the company's, and its CSV is the screen."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page
from sqlalchemy import func, select

from calldata.attribution import versions
from calldata.reports import stored
from calldata.reports.kept import Part
from calldata.reports.schema import report_day
from calldata.store.schema import cdr
from console_helpers import ADMIN, ADMIN_PASSWORD, SCOPED, SCOPED_PASSWORD, Site, follow, log_in

SIDE = {"incalls": "target", "outcalls": "company"}  # the column that names the company of a leg in or out


def _csv(page: Page, link: str) -> list[list[str]]:
    """The rows (no heading) of the CSV the link downloads."""
    with page.expect_download() as download:
        page.get_by_role("link", name=link).click()
    with open(download.value.path(), encoding="utf-8") as saved:
        return [[cell.strip() for cell in row] for row in list(csv.reader(io.StringIO(saved.read())))[1:]]


def _seconds(shown: str) -> int:
    """m:ss or h:mm:ss as seconds."""
    total = 0
    for part in shown.split(":"):
        total = total * 60 + int(part)
    return total


@pytest.mark.parametrize("kind", SIDE)
def test_report_page_sums_up_each_key_and_opens_its_calls_and_csv_is_the_screen(site: Site, page: Page, kind: str) -> None:
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    follow(page, page.get_by_role("link", name="Reports"))
    page.get_by_label("Report", exact=True).select_option(kind)
    page.get_by_label("Company").select_option("acme")
    page.get_by_label("Month").fill("2026-11")
    follow(page, page.get_by_role("button", name="Show"))
    lines = [row.locator("th, td").all_inner_texts() for row in page.locator("table.per-key tbody tr").all()]
    assert len(lines) >= 2
    every = _csv(page, "Download every call (CSV)")
    site.shot(page, f"{kind}-summary", whole=True)
    # each line counts its key's calls in the CSV of every call; the footer adds the lines up
    detail = 7 if kind == "incalls" else 8  # the CSV column of a call's detail
    for key, _name, calls, answered, missed, *rest in lines:
        mine = [row for row in every if row[0] == key]
        assert int(calls) == len(mine) and int(answered) == sum(row[detail].startswith("Answered") for row in mine)
        assert int(missed) == len(mine) - int(answered)
        billed = sum(int(row[6]) for row in mine)
        assert _seconds(rest[1] if kind == "incalls" else rest[0]) == billed, key
    footer = page.locator("table.per-key tfoot tr").locator("th, td").all_inner_texts()
    assert int(footer[2]) == len(every) == sum(int(line[2]) for line in lines)
    # the busiest key's calls, and their CSV
    busiest = max(lines, key=lambda line: int(line[2]))
    follow(page, page.locator("table.per-key").get_by_role("link", name=busiest[0], exact=True))
    shown = [row.locator("td").all_inner_texts() for row in page.locator("table.report tbody tr").all()]
    assert len(shown) == int(busiest[2]) and {row[0] for row in shown} == {busiest[0]}
    acctids = {int(row[-1]) for row in shown}
    with site.engine.connect() as conn:
        sides = set(conn.execute(select(cdr.c[SIDE[kind]]).where(cdr.c.acctid.in_(acctids))).scalars())
    assert sides == {"acme"}
    site.shot(page, kind, whole=True)
    assert _csv(page, "Download CSV") == [[cell.strip() for cell in row] for row in shown]
    assert [row for row in every if row[0] == busiest[0]] == [[cell.strip() for cell in row] for row in shown]
    with site.engine.connect() as conn:  # November's days stored for the next server process (reports.stored)
        head = versions.head(conn)
        assert head is not None
        part = stored.key_of(Part(kind, "acme", (), head))
        november = (report_day.c.start == int(datetime(2026, 11, 1, tzinfo=UTC).timestamp()),
                    report_day.c.end == int(datetime(2026, 12, 1, tzinfo=UTC).timestamp()))
        # the page first shows the month it is today (its days stored too): November's are counted
        assert conn.execute(select(func.count()).where(report_day.c.part == part, *november)).scalar_one() == 30


def test_a_scoped_user_cannot_have_another_companys_report(site: Site, page: Page) -> None:
    log_in(page, site, SCOPED, SCOPED_PASSWORD)
    for path in ("/reports?kind=incalls&company=acme&month=2026-11", "/reports.csv?kind=outcalls&company=acme&month=2026-11"):
        response = page.request.get(site.base + path)
        assert response.status == 403 and "text/csv" not in response.headers["content-type"], path
    assert page.goto(f"{site.base}/reports?kind=nonsense&month=2026-11").status == 400
