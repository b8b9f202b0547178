"""/calls.csv: every call of the browser's filter, in its order, batch after batch (in-process, both
stores), and in real Chromium: the download is the pages' calls, as they show them, and a scoped
user's holds only their company's calls."""

from __future__ import annotations

import csv
import io
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine

from calldata.calls.browse import CallFilter
from calldata.console.calls_csv import batches
from calldata.store.engine import async_engine
from console_helpers import ADMIN, ADMIN_PASSWORD, SCOPED, SCOPED_COMPANY, SCOPED_PASSWORD, Site, follow, log_in
from console_expected import seen_by
from stored_calls import legs_by_call, newest_first
from test_console import every_page

UTC = ZoneInfo("UTC")


@pytest.mark.anyio
@pytest.mark.parametrize(("filt", "companies"), [
    (CallFilter(), None), (CallFilter(newest_first=False, direction="inbound"), None),
    (CallFilter(outcome="missed"), None), (CallFilter(), frozenset({SCOPED_COMPANY}))],
    ids=["all", "inbound oldest first", "missed", "scoped"])
async def test_batches_give_every_call_of_the_filter_once_in_its_order(
        world: Engine, store_url: str, filt: CallFilter, companies: frozenset[str] | None) -> None:
    calls = legs_by_call(world)
    reader = async_engine(store_url)
    try:
        got = [[c["call"] for c in batch] async for batch in batches(reader, filt, companies, UTC, size=7)]
    finally:
        await reader.dispose()
    listed = [call for batch in got for call in batch]
    whole = [c async for c in _all_at_once(store_url, filt, companies)]
    assert all(len(batch) <= 7 for batch in got) and len(got) >= len(whole) / 7
    assert listed == whole and len(set(listed)) == len(listed)
    if filt.direction is None and filt.outcome is None:  # every call the reader sees, newest first
        assert len(got) >= 2
        assert listed == newest_first(calls, lambda legs: companies is None or seen_by(legs, SCOPED_COMPANY))
    if filt.outcome == "missed":
        assert set(listed) == {call for call, legs in calls.items() if all(leg.disposition != "ANSWERED" for leg in legs)}


async def _all_at_once(store_url: str, filt: CallFilter, companies: frozenset[str] | None):  # type: ignore[no-untyped-def]
    """The same filter in one batch larger than the store: the order the browser's pages give."""
    reader = async_engine(store_url)
    try:
        async for batch in batches(reader, filt, companies, UTC, size=100_000):
            for call in batch:
                yield call["call"]
    finally:
        await reader.dispose()


def _download(page: Page) -> list[list[str]]:
    """The rows of the CSV the call list's link downloads, heading first."""
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download every call")).click()
    with open(download.value.path(), encoding="utf-8-sig") as saved:
        return list(csv.reader(io.StringIO(saved.read())))


def test_the_csv_is_every_page_of_the_filter_as_shown(site: Site, page: Page) -> None:
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    page.get_by_label("Company").select_option("acme")
    page.get_by_label("Per page").select_option("10")
    follow(page, page.get_by_role("button", name="Filter"))
    first_row = [cell.strip() for cell in page.locator("table.calls tbody tr").first.locator("td").all_inner_texts()]
    heading, *rows = _download(page)
    assert heading[0].startswith("start (") and heading[-1] == "call"
    shown = every_page(page)
    assert len(shown) > 10 and [row[-1] for row in rows] == shown  # every page's calls, in their order
    start, direction, caller, company, dialled, answered, answered_company, outcome, *_ = rows[0]
    assert [start, direction, dialled, outcome] == [first_row[0], first_row[1], first_row[3], first_row[5]]
    assert first_row[2].startswith(caller) and first_row[4].startswith(answered)
    assert rows[0][12] == first_row[10]  # the events, as the column says them


def test_a_scoped_users_csv_holds_only_their_companys_calls(site: Site, page: Page) -> None:
    calls = legs_by_call(site.engine)
    log_in(page, site, SCOPED, SCOPED_PASSWORD)
    _heading, *rows = _download(page)
    assert [row[-1] for row in rows] == newest_first(calls, lambda legs: seen_by(legs, SCOPED_COMPANY))
    response = page.goto(f"{site.base}/calls.csv?company=acme")
    assert response is not None and response.status == 403
    assert "acme" in page.locator("main").inner_text()
