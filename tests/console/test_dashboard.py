"""The dashboard page in real Chromium: the figures of calldata.dashboards on the page and in
drawn charts, for the operator and for a company-scoped user, with no script refused by the
page's Content-Security-Policy; bad periods and other companies answered with a page."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from playwright.sync_api import ConsoleMessage, Page, expect

from calldata.attribution import versions
from calldata.dashboards.build import dashboard
from calldata.dashboards.figures import Dashboard
from calldata.dashboards.period import Period
from calldata.dashboards.query import Scope
from console_helpers import ADMIN, ADMIN_PASSWORD, SCOPED, SCOPED_COMPANY, SCOPED_PASSWORD, Site, follow, log_in

UTC_ZONE = ZoneInfo("UTC")  # the served console's display zone (CALLDATA_DISPLAY_TZ unset)
RECORDED_DAY = date(2026, 11, 29)  # every recorded leg started that day


def expected(site: Site, companies: frozenset[str] | None, period: Period, show_cost: bool) -> Dashboard:
    with site.engine.connect() as conn:
        return dashboard(conn, Scope(companies), period, UTC_ZONE, show_cost=show_cost)


def card(page: Page, name: str) -> str:
    return page.locator(".cards div", has=page.locator("dt", has_text=name)).locator("dd").inner_text()


def drawn(page: Page, name: str) -> dict:
    """What Chart.js drew on the chart's canvas: its labels and each dataset's figures."""
    return page.evaluate(
        "name => { const c = Chart.getChart('chart-' + name);"
        " return {labels: c.data.labels, data: c.data.datasets.map(d => d.data)}; }", name)


def watch_console(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_the_operators_month_and_day_are_the_dashboards_figures_drawn(site: Site, page: Page) -> None:
    errors = watch_console(page)
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    follow(page, page.get_by_role("link", name="Dashboard"))
    page.get_by_label("Month").fill("2026-11")
    follow(page, page.get_by_role("button", name="Show"))
    month = expected(site, None, Period.month(2026, 11), show_cost=True)
    assert month.totals.calls > 0 and month.totals.missed > 0
    assert card(page, "Calls") == str(month.totals.calls)
    assert card(page, "Missed") == str(month.totals.missed)
    assert card(page, "Inbound") == f"{month.totals.inbound} · {month.totals.outbound} · {month.totals.internal}"
    calls = drawn(page, "calls")
    assert len(calls["labels"]) == 30 and calls["labels"][28] == "2026-11-29"
    assert [sum(v or 0 for v in data) for data in calls["data"]] == [month.totals.answered, month.totals.missed]
    for amount in month.money.price:  # charged, and the operator sees the carriers' cost
        expect(page.locator(".cards")).to_contain_text(f"Charged ({amount.currency})")
    assert month.money.cost is not None
    for amount in month.money.cost:
        expect(page.locator(".cards")).to_contain_text(f"Carrier cost ({amount.currency})")
    site.shot(page, "dashboard", whole=True)

    page.goto(f"{site.base}/dashboard?day={RECORDED_DAY}")
    day = expected(site, None, Period.day(RECORDED_DAY), show_cost=True)
    hours = drawn(page, "calls")
    assert len(hours["labels"]) == 24 and [sum(v or 0 for v in data) for data in hours["data"]] == [
        day.totals.answered, day.totals.missed]
    destinations = drawn(page, "destinations")
    assert destinations["labels"] == day.destinations.labels
    assert errors == []  # Chart.js ran, and nothing was refused by the page's policy


def test_a_scoped_user_sees_only_their_company_and_no_carrier_cost(site: Site, page: Page) -> None:
    log_in(page, site, SCOPED, SCOPED_PASSWORD)
    page.goto(f"{site.base}/dashboard?month=2026-11")
    theirs = expected(site, frozenset({SCOPED_COMPANY}), Period.month(2026, 11), show_cost=False)
    everyone = expected(site, None, Period.month(2026, 11), show_cost=False)
    assert 0 < theirs.totals.calls < everyone.totals.calls
    assert card(page, "Calls") == str(theirs.totals.calls)
    expect(page.locator(".cards")).not_to_contain_text("Carrier cost")
    options = page.get_by_label("Company").locator("option").all_inner_texts()
    assert [o for o in options if "(" in o] == [f"Globex Corporation ({SCOPED_COMPANY})"]
    assert drawn(page, "extensions")["labels"] == theirs.extensions.labels
    response = page.goto(f"{site.base}/dashboard?month=2026-11&company=acme")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("not one you may see")
    assert page.locator("canvas").count() == 0


def test_bad_periods_answer_a_page_naming_the_field(site: Site, page: Page) -> None:
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    for query, field in (("month=2026-13", "month"), ("month=11-2026", "month"), ("day=2026-02-30", "day"),
                         ("day=0001-01-01", "day"), ("month=99999-01", "month")):
        response = page.goto(f"{site.base}/dashboard?{query}")
        assert response is not None and response.status == 400, query
        expect(page.get_by_role("alert")).to_contain_text(f"{field}:")


def test_a_new_directory_version_names_the_extensions_at_once(site: Site, page: Page) -> None:
    """Loading a version changes no leg, so the store's generation stays: the page must still
    show the new names (the cache is keyed by the directory version too)."""
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    page.goto(f"{site.base}/dashboard?day={RECORDED_DAY}")
    before = drawn(page, "extensions")["labels"]
    assert any("Alice" in label for label in before), before
    with site.engine.begin() as conn:
        head = versions.head(conn)
        assert head is not None
        versions.save(conn, versions.text_of(conn, head[0]).replace("name: Alice,", "name: Alicia,"), "test")
    page.goto(f"{site.base}/dashboard?day={RECORDED_DAY}")
    assert drawn(page, "extensions")["labels"] == [label.replace("Alice", "Alicia") for label in before]
